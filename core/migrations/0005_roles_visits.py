from django.db import migrations

from core.roles_permissions import sync_role_groups


class Migration(migrations.Migration):
    """Give the roles their permissions on visits."""

    dependencies = [("core", "0004_roles_children"), ("services", "0001_initial")]
    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
