from django.db import migrations

from core.roles_permissions import sync_role_groups


class Migration(migrations.Migration):
    """Budget and payments: officers get their permissions ("budget": ["*"])."""

    dependencies = [
        ("core", "0009_roles_reconciliation"),
        ("budget", "0001_initial"),
    ]
    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
