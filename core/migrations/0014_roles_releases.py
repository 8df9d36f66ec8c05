from django.db import migrations

from core.roles_permissions import sync_role_groups


class Migration(migrations.Migration):
    """The dashboard's published figures of each month: officers may view them."""

    dependencies = [
        ("core", "0013_drop_drf_authtoken"),
        ("reports", "0004_release"),
    ]
    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
