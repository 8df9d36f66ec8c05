"""The expense specifics codes domain.md §6 names (economic classification), editable later."""

from django.db import migrations

CODES = [
    ("111", "Оплата труда", "Еңбекке ақы төлеу", "Pay"),
    ("121", "Социальный налог", "Әлеуметтік салық", "Social tax"),
    ("141", "Приобретение продуктов питания", "Азық-түлік өнімдерін сатып алу", "Food"),
    ("142", "Приобретение медикаментов", "Дәрі-дәрмектерді сатып алу", "Medicines"),
    ("151", "Оплата коммунальных услуг", "Коммуналдық қызметтерге ақы төлеу", "Utilities"),
    ("152", "Оплата услуг связи", "Байланыс қызметтеріне ақы төлеу", "Communications"),
    ("153", "Оплата транспортных услуг", "Көлік қызметтеріне ақы төлеу", "Transport"),
    ("154", "Оплата аренды за помещение", "Үй-жай жалдау ақысын төлеу", "Rent"),
    ("159", "Оплата прочих услуг и работ", "Басқа да қызметтер мен жұмыстарға ақы төлеу", "Other services and works"),
    ("169", "Прочие текущие затраты", "Басқа да ағымдағы шығындар", "Other current costs"),
]


def seed(apps, schema_editor):
    ExpenseCode = apps.get_model("budget", "ExpenseCode")
    for code, ru, kk, en in CODES:
        ExpenseCode.objects.get_or_create(
            code=code, defaults={"name_ru": ru, "name_kk": kk, "name_en": en}
        )


class Migration(migrations.Migration):
    dependencies = [("budget", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
