"""Which model permissions each role's group holds.

Applied by migrations (core 0003, and again by a later migration whenever an app adds models),
so that the groups always hold exactly what this table says.
"""

from django.contrib.auth.management import create_permissions

ROLE_PERMISSIONS: dict[str, dict[str, list[str]]] = {
    # The akimat: everything in the domain apps; users are managed by the superuser.
    "akimat_officer": {
        "providers": ["*"],
        "recipients": ["*"],
        "services": ["*"],
        "tariffs": ["*"],
        "monitoring": ["*"],
        "reconciliation": ["*"],
        "budget": ["*"],
        "reports": ["*"],
        "core": ["view_user"],
        "auditlog": ["view_logentry"],
    },
    # The Committee's inspectors: premises and documents; they record inspections and reviews.
    "inspector": {
        "providers": [
            "view_provider",
            "view_branch",
            "view_premises",
            "view_qualificationdocument",
            "view_equippedroom",
            "view_staffmember",
            "view_staffdocument",
            "view_admissionapplication",
            "view_applicationevent",
            "view_staffingnorm",
        ],
    },
    # Provider staff work on their own pages; these mirror what the pages let them do.
    "provider_head": {
        "services": [
            "view_visit",
            "add_visit",
            "change_visit",
            "view_visitcorrection",
            "add_visitcorrection",
            "view_schedule",
            "add_schedule",
            "change_schedule",
            "view_scheduleslot",
            "add_scheduleslot",
            "change_scheduleslot",
            "delete_scheduleslot",
            "view_catalogueservice",
            "view_calendarday",
        ],
        "recipients": [
            "view_child",
            "view_legalrepresentative",
            "view_ipar",
            "view_serviceapplication",
            "view_needsassessment",
            "view_enrollment",
        ],
        "providers": [
            "view_provider",
            "view_qualificationdocument",
            "add_qualificationdocument",
            "view_equippedroom",
            "change_equippedroom",
            "view_staffmember",
            "view_admissionapplication",
        ],
    },
    "coordinator": {
        "providers": ["view_provider"],
        # Coordinators prepare schedules; only the head approves them (Alg. §21).
        "services": [
            "view_visit",
            "add_visit",
            "change_visit",
            "view_visitcorrection",
            "view_schedule",
            "add_schedule",
            "change_schedule",
            "view_scheduleslot",
            "add_scheduleslot",
            "change_scheduleslot",
            "delete_scheduleslot",
            "view_catalogueservice",
            "view_calendarday",
        ],
        "recipients": [
            "view_child",
            "view_legalrepresentative",
            "view_ipar",
            "view_serviceapplication",
            "view_needsassessment",
            "view_enrollment",
        ],
    },
    "analyst": {"providers": ["view_provider"]},
}


def sync_role_groups(apps, schema_editor=None) -> None:  # type: ignore[no-untyped-def]
    """Create the role groups and give each exactly its permissions (idempotent)."""

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, by_app in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=role)
        wanted = []
        for app_label, codenames in by_app.items():
            permissions = Permission.objects.filter(content_type__app_label=app_label)
            if codenames != ["*"]:
                permissions = permissions.filter(codename__in=codenames)
            wanted.extend(permissions)
        group.permissions.set(wanted)
