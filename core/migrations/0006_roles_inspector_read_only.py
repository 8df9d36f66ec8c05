from django.db import migrations

from core.roles_permissions import sync_role_groups


class Migration(migrations.Migration):
    """Inspectors review documents through the review actions only; they never edit them."""

    dependencies = [("core", "0005_roles_visits")]
    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
