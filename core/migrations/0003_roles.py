from django.db import migrations

from core.roles_permissions import ROLE_PERMISSIONS, sync_role_groups


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(ROLE_PERMISSIONS)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_initial"),
        ("providers", "0002_staffing_norms"),
        ("auditlog", "__latest__"),
    ]
    operations = [migrations.RunPython(sync_role_groups, remove_groups)]
