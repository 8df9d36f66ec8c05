from django.db import migrations

from core.roles_permissions import sync_role_groups


class Migration(migrations.Migration):
    """Schedules, the catalogue, the calendar and visit corrections for the provider's staff."""

    dependencies = [
        ("core", "0006_roles_inspector_read_only"),
        ("services", "0003_service_catalogue"),
    ]
    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
