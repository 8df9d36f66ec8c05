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

PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
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
