"""factory_boy factories for the whole suite. Valid BINs are generated with the real check digit."""

from __future__ import annotations

import datetime
import itertools

import factory
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile

from core.models import User
from core.roles import Role
from core.validators import check_digit
from demo.files import DEMO_PDF
from providers.models import (
    DocumentKind,
    EquippedRoom,
    Premises,
    Provider,
    QualificationDocument,
    ReviewStatus,
    RoomKind,
    Sector,
    StaffMember,
    Tenure,
)

# A real one-page PDF (pypdf's PdfWriter, one blank A4 page): uploads are parsed.
PDF_BYTES = DEMO_PDF
_bin_numbers = itertools.count(1)


def valid_identifier(prefix: str = "2001400") -> str:
    """A 12-digit number with a valid check digit, unique per call."""
    while True:
        body = f"{prefix}{next(_bin_numbers):04d}"[:11]
        digit = check_digit(body)
        if digit is not None:
            return f"{body}{digit}"


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    name = factory.Sequence(lambda n: f"ОФ «Центр {n}»")
    legal_form = "ОФ"
    bin = factory.LazyFunction(valid_identifier)
    sector = Sector.NON_STATE
    address = "г. Астана, ул. Кенесары, 1"
    head_name = "Иванова Анна"
    phone = "+7 701 000 00 00"
    email = "centre@example.kz"
    license_number = "12345"
    license_issued_on = datetime.date(2020, 1, 1)
    license_home_care = True
    planned_recipients = 80


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"User{n}")
    password = factory.django.Password("a-long-test-password")

    @factory.post_generation
    def role(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))
            if extracted in (Role.AKIMAT_OFFICER, Role.INSPECTOR):
                self.is_staff = True
                self.save(update_fields=["is_staff"])


def officer(**kwargs: object) -> User:
    return UserFactory(role=Role.AKIMAT_OFFICER, **kwargs)


def inspector(**kwargs: object) -> User:
    return UserFactory(role=Role.INSPECTOR, **kwargs)


def analyst(**kwargs: object) -> User:
    return UserFactory(role=Role.ANALYST, **kwargs)


def head_of(provider: Provider, **kwargs: object) -> User:
    return UserFactory(role=Role.PROVIDER_HEAD, provider=provider, **kwargs)


def coordinator_of(provider: Provider, **kwargs: object) -> User:
    return UserFactory(role=Role.COORDINATOR, provider=provider, **kwargs)


class PremisesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Premises

    provider = factory.SubFactory(ProviderFactory)
    address = factory.Sequence(lambda n: f"г. Астана, ул. Туран, {n}")
    tenure = Tenure.OWNED


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QualificationDocument

    provider = factory.SubFactory(ProviderFactory)
    kind = DocumentKind.STAFFING_TABLE
    file = factory.LazyFunction(lambda: ContentFile(PDF_BYTES, name="doc.pdf"))
    number = factory.Sequence(lambda n: f"N-{n}")
    issued_on = datetime.date(2026, 1, 10)
    review_status = ReviewStatus.PENDING


def qualified_provider(
    *, accepted: bool = True, tenure: str = Tenure.OWNED, **provider_fields: object
) -> Provider:
    """A provider with every document, its premises and all eight rooms equipped."""
    provider = ProviderFactory(**provider_fields)
    lease_end = datetime.date(2027, 12, 31) if tenure == Tenure.LEASED else None
    premises = PremisesFactory(provider=provider, tenure=tenure, lease_ends_on=lease_end)
    status = ReviewStatus.ACCEPTED if accepted else ReviewStatus.PENDING
    DocumentFactory(provider=provider, kind=DocumentKind.STAFFING_TABLE, review_status=status)
    right = DocumentKind.LEASE if tenure == Tenure.LEASED else DocumentKind.OWNERSHIP_RECORD
    for kind in (right, DocumentKind.SANITARY_CONCLUSION, DocumentKind.FIRE_INSPECTION_ACT):
        DocumentFactory(
            provider=provider,
            premises=premises,
            kind=kind,
            review_status=status,
            valid_until=lease_end,
        )
    EquippedRoom.objects.bulk_create(
        EquippedRoom(provider=provider, kind=kind, equipped=True, inventory="Стол, стулья")
        for kind in RoomKind
    )
    return provider


class StaffMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffMember

    provider = factory.SubFactory(ProviderFactory)
    full_name = factory.Sequence(lambda n: f"Сотрудник {n}")
    position = "psychologist"


# --- children -------------------------------------------------------------------------------


def iin_for(birth_date: datetime.date, sex: str = "F") -> str:
    """A valid IIN whose digits encode `birth_date` (century digit 5/6 for 2000–2099)."""
    century = (
        ("5" if sex == "M" else "6") if birth_date.year >= 2000 else ("3" if sex == "M" else "4")
    )
    prefix = f"{birth_date:%y%m%d}{century}"
    while True:
        body = f"{prefix}{next(_bin_numbers) % 10000:04d}"
        digit = check_digit(body)
        if digit is not None:
            return f"{body}{digit}"


class ChildFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "recipients.Child"

    birth_date = datetime.date(2015, 4, 10)
    iin = factory.LazyAttribute(lambda child: iin_for(child.birth_date))
    last_name = factory.Sequence(lambda n: f"Фамилия{n}")
    first_name = "Айгерим"
    middle_name = ""
    sex = "F"
    district = "yesil"
    address = "г. Астана, ул. Сарайшык, 5"
    name_key = factory.LazyAttribute(lambda c: f"{c.last_name} {c.first_name}".casefold())


class IparFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "recipients.Ipar"

    child = factory.SubFactory(ChildFactory)
    number = factory.Sequence(lambda n: f"ИПАР-{n:07d}")
    issued_on = datetime.date(2026, 1, 1)
    valid_until = datetime.date(2027, 12, 31)
    home_services = True
    services = ["pedagogical", "psychological"]


class ServiceApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "recipients.ServiceApplication"

    child = factory.SubFactory(ChildFactory)
    submitted_on = datetime.date(2026, 5, 20)
    consent_on = datetime.date(2026, 5, 20)


class AssessmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "recipients.NeedsAssessment"

    child = factory.SubFactory(ChildFactory)
    assessed_on = datetime.date(2026, 5, 25)
    social_worker = "Сейткали Жанна"
    conclusion = "Нуждается в услугах на дому и в центре"


def admitted_provider(**fields: object) -> Provider:
    return ProviderFactory(**{"admitted_on": datetime.date(2026, 6, 5), **fields})


def enrollment_for(
    child, provider, *, start_on=datetime.date(2026, 7, 1), status="approved", **fields
):  # type: ignore[no-untyped-def]
    from recipients.models import Enrollment

    application = fields.pop("application", None) or ServiceApplicationFactory(child=child)
    return Enrollment.objects.create(
        child=child,
        provider=provider,
        application=application,
        decision_number=f"РЕШ-{next(_bin_numbers)}",
        decision_date=start_on - datetime.timedelta(days=3),
        start_on=start_on,
        status=status,
        **fields,
    )


def enrollable_child(**fields: object):  # type: ignore[no-untyped-def]
    """A child with a valid home ИПАР, an application with consent and an assessment."""
    child = ChildFactory(**fields)
    IparFactory(child=child)
    application = ServiceApplicationFactory(child=child)
    AssessmentFactory(child=child)
    return child, application


def enrolled_child(provider: Provider, *, start_on=datetime.date(2026, 7, 1), **fields):  # type: ignore[no-untyped-def]
    """A child enrolled (approved) with `provider` from `start_on`; returns the enrolment."""
    child, application = enrollable_child(**fields)
    return enrollment_for(child, provider, start_on=start_on, application=application)


class VisitFactory(factory.django.DjangoModelFactory):
    """A done, unconfirmed home visit; pass `enrollment=` to take its child and provider."""

    class Meta:
        model = "services.Visit"
        exclude = ("enrollment",)

    enrollment = None
    visit_id = factory.Sequence(lambda n: f"V-T{n:06d}")
    child = factory.LazyAttribute(lambda o: o.enrollment.child if o.enrollment else ChildFactory())
    provider = factory.LazyAttribute(
        lambda o: o.enrollment.provider if o.enrollment else admitted_provider()
    )
    setting = "home"
    date = datetime.date(2026, 7, 6)
    start = datetime.time(10, 0)
    end = datetime.time(12, 0)
    status = "done"
    services = factory.LazyFunction(lambda: ["pedagogical", "pedagogical.aba"])


# A week that keeps Alg. §2: two home visits, three centre visits, none over four hours.
WEEK = [
    {"weekday": 0, "setting": "home", "start": datetime.time(10), "duration_minutes": 120},
    {"weekday": 1, "setting": "centre", "start": datetime.time(9), "duration_minutes": 180},
    {"weekday": 2, "setting": "home", "start": datetime.time(15), "duration_minutes": 90},
    {"weekday": 3, "setting": "centre", "start": datetime.time(9), "duration_minutes": 240},
    {"weekday": 4, "setting": "centre", "start": datetime.time(11), "duration_minutes": 120},
]


def approved_schedule(enrollment, *, valid_from=None, slots=None):  # type: ignore[no-untyped-def]
    """An approved schedule through the real services (prepared by a coordinator, head approves)."""
    from services import services

    head = head_of(enrollment.provider)
    schedule = services.schedule_create(
        enrollment=enrollment,
        valid_from=valid_from or enrollment.start_on,
        slots=[dict(slot) for slot in (slots or WEEK)],
        acting_user=head,
    )
    return services.schedule_approve(schedule=schedule, acting_user=head)


# A real 1×1 PNG, as the signature canvas sends it (a data: URL).
PNG_DATA_URL = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
