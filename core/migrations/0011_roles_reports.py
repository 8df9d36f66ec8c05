from django.db import migrations

from core.roles_permissions import sync_role_groups


class Migration(migrations.Migration):
    """Monitoring reports and the questionnaire: officers get their permissions."""

    dependencies = [
        ("core", "0010_roles_budget"),
        ("reports", "0001_initial"),
    ]
    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
