"""App. 1 of the Algorithm: the minimum (recommended) staffing norms, as data."""

from decimal import Decimal

from django.db import migrations

NORMS = [
    (1, "director", "1", "per_branch", None, False),
    (2, "deputy_director", "1", "per_organisation", None, False),
    (3, "social_work_consultant", "0.5", "per_recipients", 40, False),
    (4, "care_social_worker", "1", "per_care_recipients", 6, False),
    (5, "driver", "1", "per_vehicle", None, False),
    (6, "speech_therapist", "1", "per_recipients", 80, False),
    (7, "defectologist", "1", "per_recipients", 80, False),
    (8, "music_teacher", "1", "per_recipients", 80, False),
    (9, "pe_teacher", "1", "per_recipients", 80, False),
    (10, "therapeutic_pe_instructor", "1", "per_recipients", 80, False),
    (11, "psychologist", "1", "per_recipients", 80, False),
    (12, "occupational_therapy_instructor", "1", "per_recipients", 80, False),
    (13, "accountant", "1", "per_organisation", None, False),
    (14, "hr_inspector", "1", "per_organisation", None, False),
    (15, "technical_staff", "2", "per_organisation", None, False),
    (16, "massage_nurse", "1", "per_recipients", 80, False),
    (17, "lawyer", "1", "per_organisation", None, False),
    (18, "nurse", "1", "per_organisation", None, False),
    (19, "cultural_organiser", "1", "per_organisation", None, False),
    (20, "doctor", "1", "per_organisation", None, True),
]


def load(apps, schema_editor):
    StaffingNorm = apps.get_model("providers", "StaffingNorm")
    for number, position, units, basis, per_count, by_need in NORMS:
        StaffingNorm.objects.update_or_create(
            position=position,
            defaults={
                "number": number,
                "units": Decimal(units),
                "basis": basis,
                "per_count": per_count,
                "by_need": by_need,
            },
        )


def unload(apps, schema_editor):
    apps.get_model("providers", "StaffingNorm").objects.filter(
        position__in=[row[1] for row in NORMS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("providers", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
