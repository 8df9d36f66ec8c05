"""The service catalogue of Alg. §18 as data: Astana's additional services under each kind."""

from django.db import migrations

POSITIONS = {
    "household": ["care_social_worker", "social_work_consultant"],
    "medical": ["nurse", "massage_nurse", "therapeutic_pe_instructor"],
    "pedagogical": ["defectologist", "speech_therapist", "music_teacher", "pe_teacher"],
    "labour": ["occupational_therapy_instructor"],
    "cultural": ["cultural_organiser"],
    "psychological": ["psychologist"],
    "legal": ["lawyer"],
    "economic": ["care_social_worker"],
}

# (kind, service, Russian, Kazakh, English), in the order of the table in Alg. §18.
CATALOGUE = [
    (
        "household",
        "self_care",
        "Обучение навыкам бытового обслуживания",
        "Тұрмыстық қызмет көрсету дағдыларына үйрету",
        "Teaching household self-care skills",
    ),
    ("household", "cooking", "Кулинария", "Аспаздық", "Cooking"),
    ("medical", "therapeutic_pe", "ЛФК", "Емдік дене шынықтыру (ЕДШ)", "Therapeutic PE"),
    ("medical", "hippotherapy", "Иппотерапия", "Иппотерапия", "Hippotherapy"),
    ("medical", "massage", "Массаж", "Массаж", "Massage"),
    ("medical", "pool", "Бассейн", "Бассейн", "Swimming pool"),
    ("pedagogical", "aba", "АВА-терапия", "АВА-терапия", "ABA therapy"),
    (
        "pedagogical",
        "adaptive_pe",
        "Адаптивная физкультура (АФК)",
        "Бейімделген дене шынықтыру (БДШ)",
        "Adaptive PE",
    ),
    (
        "pedagogical",
        "clubs",
        "Кружковая деятельность при центрах",
        "Орталықтағы үйірме жұмысы",
        "Centre clubs",
    ),
    ("pedagogical", "pecs", "PECS-терапия", "PECS-терапия", "PECS"),
    (
        "pedagogical",
        "behaviour",
        "Поведенческая терапия",
        "Мінез-құлық терапиясы",
        "Behaviour therapy",
    ),
    (
        "pedagogical",
        "sensory",
        "Сенсорная интеграция",
        "Сенсорлық интеграция",
        "Sensory integration",
    ),
    ("pedagogical", "fitness", "Фитнес", "Фитнес", "Fitness"),
    (
        "pedagogical",
        "interactive_room",
        "Интерактивная комната",
        "Интерактивті бөлме",
        "Interactive room",
    ),
    ("pedagogical", "vocal", "Вокал", "Вокал", "Vocal"),
    (
        "labour",
        "clubs",
        "Кружковая деятельность при центрах",
        "Орталықтағы үйірме жұмысы",
        "Centre clubs",
    ),
    ("labour", "sensory", "Сенсорная интеграция", "Сенсорлық интеграция", "Sensory integration"),
    ("labour", "art_therapy", "Арт-терапия", "Арт-терапия", "Art therapy"),
    ("labour", "occupational", "Трудотерапия", "Еңбек терапиясы", "Occupational therapy"),
    ("labour", "heliotherapy", "Гелиотерапия", "Гелиотерапия", "Heliotherapy"),
    ("labour", "painting", "Живопись", "Кескіндеме", "Painting"),
    (
        "cultural",
        "clubs",
        "Кружковая деятельность при центрах",
        "Орталықтағы үйірме жұмысы",
        "Centre clubs",
    ),
    ("cultural", "yoga", "Йога", "Йога", "Yoga"),
    ("cultural", "para_karate", "Паракарате", "Паракаратэ", "Para-karate"),
    ("cultural", "chess", "Шахматы", "Шахмат", "Chess"),
    ("cultural", "robotics", "Робототехника", "Робототехника", "Robotics"),
    ("cultural", "pool", "Бассейн", "Бассейн", "Swimming pool"),
    ("psychological", "aba", "АВА-терапия", "АВА-терапия", "ABA therapy"),
    (
        "psychological",
        "sensory",
        "Сенсорная интеграция",
        "Сенсорлық интеграция",
        "Sensory integration",
    ),
    ("psychological", "tomatis", "Томатис-терапия", "Томатис-терапия", "Tomatis therapy"),
    ("psychological", "yoga", "Йога", "Йога", "Yoga"),
    (
        "psychological",
        "interactive_room",
        "Интерактивная комната",
        "Интерактивті бөлме",
        "Interactive room",
    ),
    ("psychological", "painting", "Живопись", "Кескіндеме", "Painting"),
    ("legal", "counselling", "Консультирование", "Кеңес беру", "Counselling"),
    ("legal", "legal_aid", "Юридическая помощь", "Заң көмегі", "Legal aid"),
    (
        "economic",
        "benefits",
        "Содействие в оформлении льгот и пособий",
        "Жеңілдіктер мен жәрдемақыларды ресімдеуге жәрдемдесу",
        "Help with applying for benefits and allowances",
    ),
]


def load(apps, schema_editor):
    CatalogueService = apps.get_model("services", "CatalogueService")
    CatalogueService.objects.bulk_create(
        [
            CatalogueService(
                code=f"{kind}.{service}",
                kind=kind,
                name_ru=ru,
                name_kk=kk,
                name_en=en,
                positions=POSITIONS[kind],
                order=order,
            )
            for order, (kind, service, ru, kk, en) in enumerate(CATALOGUE, start=1)
        ]
    )


def unload(apps, schema_editor):
    apps.get_model("services", "CatalogueService").objects.filter(
        code__in=[f"{kind}.{service}" for kind, service, *_ in CATALOGUE]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("services", "0002_catalogue_schedules_calendar_confirmation")]

    operations = [migrations.RunPython(load, unload)]
