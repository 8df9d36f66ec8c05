from django.db import migrations

from core.roles_permissions import sync_role_groups


class Migration(migrations.Migration):
    """The state registries (monitoring): officers get their permissions ("monitoring": ["*"])."""

    dependencies = [
        ("core", "0007_roles_schedules"),
        ("monitoring", "0001_registries"),
    ]
    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
