from django.db import migrations

from core.roles_permissions import sync_role_groups


class Migration(migrations.Migration):
    """Reconciliation runs and findings: officers get their permissions ("reconciliation": ["*"])."""

    dependencies = [
        ("core", "0008_roles_registries"),
        ("reconciliation", "0001_initial"),
    ]
    operations = [migrations.RunPython(sync_role_groups, migrations.RunPython.noop)]
