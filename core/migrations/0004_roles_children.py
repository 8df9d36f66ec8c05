from django.db import migrations

from core.roles_permissions import sync_role_groups


class Migration(migrations.Migration):
    """Give the roles their permissions on the children's and tariffs' models."""

    dependencies = [
        ("core", "0003_roles"),
        ("recipients", "0001_initial"),
        ("tariffs", "0001_initial"),
    ]
    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
