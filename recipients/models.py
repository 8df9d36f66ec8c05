"""Children with disabilities, their ИПАР, applications, assessments and enrolments (domain.md §4)."""

from __future__ import annotations

import datetime

from auditlog.registry import auditlog
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.validators import validate_iin
from recipients.rules import form_031_problem


class District(models.TextChoices):
    """The five districts of Astana."""

    ALMATY = "almaty", _("Almaty")
    BAIKONUR = "baikonur", _("Baikonur")
    YESIL = "yesil", _("Yesil")
    SARYARKA = "saryarka", _("Saryarka")
    NURA = "nura", _("Nura")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class DiagnosisGroup(models.TextChoices):
    """Drives the care social worker norm of App. 1 (No. 4)."""

    PSYCHONEUROLOGICAL = "psychoneurological", _("Psychoneurological pathology")
    MUSCULOSKELETAL = "musculoskeletal", _("Musculoskeletal disorder")
    OTHER = "other", _("Other")


# Groups that need a care social worker (App. 1 No. 4).
CARE_DIAGNOSIS_GROUPS = (DiagnosisGroup.PSYCHONEUROLOGICAL, DiagnosisGroup.MUSCULOSKELETAL)


class ServiceKind(models.TextChoices):
    """The eight kinds of special social services (Alg. §18)."""

    HOUSEHOLD = "household", _("Social-household")
    MEDICAL = "medical", _("Social-medical")
    PEDAGOGICAL = "pedagogical", _("Social-pedagogical")
    LABOUR = "labour", _("Social-labour")
    CULTURAL = "cultural", _("Social-cultural")
    PSYCHOLOGICAL = "psychological", _("Social-psychological")
    LEGAL = "legal", _("Social-legal")
    ECONOMIC = "economic", _("Social-economic")


class Child(models.Model):
    iin = models.CharField(_("IIN"), max_length=12, unique=True, validators=[validate_iin])
    last_name = models.CharField(_("last name"), max_length=100)
    first_name = models.CharField(_("first name"), max_length=100)
    middle_name = models.CharField(_("middle name"), max_length=100, blank=True)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    district = models.CharField(_("district"), max_length=10, choices=District.choices)
    address = models.CharField(_("address"), max_length=500)
    disability_until = models.DateField(_("disability established until"), null=True, blank=True)
    diagnosis_group = models.CharField(
        _("diagnosis group"), max_length=20, choices=DiagnosisGroup.choices, blank=True
    )
    # Normalised "last first middle" + birth date, to find people entered twice under two IINs.
    name_key = models.CharField(max_length=320, editable=False, db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")
        ordering = ["last_name", "first_name", "pk"]
        indexes = [models.Index(fields=["name_key", "birth_date"])]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return " ".join(
            part for part in (self.last_name, self.first_name, self.middle_name) if part
        )


class Relation(models.TextChoices):
    PARENT = "parent", _("Parent")
    GUARDIAN = "guardian", _("Guardian")
    OTHER = "other", _("Other")


class LegalRepresentative(models.Model):
    child = models.ForeignKey(
        Child, verbose_name=_("child"), on_delete=models.CASCADE, related_name="representatives"
    )
    iin = models.CharField(_("IIN"), max_length=12, validators=[validate_iin])
    full_name = models.CharField(_("full name"), max_length=300)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    relation = models.CharField(_("relation"), max_length=10, choices=Relation.choices)
    guardianship_document = models.CharField(
        _("guardianship document"),
        max_length=200,
        blank=True,
        help_text=_("Number and date of the decision establishing guardianship."),
    )

    class Meta:
        verbose_name = _("legal representative")
        verbose_name_plural = _("legal representatives")
        ordering = ["child", "full_name"]
        constraints = [
            models.UniqueConstraint(fields=["child", "iin"], name="one_representative_entry"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def clean(self) -> None:
        if self.relation == Relation.GUARDIAN and not self.guardianship_document.strip():
            raise ValidationError(
                {
                    "guardianship_document": ValidationError(
                        _("A guardian's record names the decision establishing guardianship."),
                        code="guardianship_document_required",
                    )
                }
            )


class Ipar(models.Model):
    """The social part of an individual habilitation and rehabilitation programme (ИПАР)."""

    child = models.ForeignKey(
        Child, verbose_name=_("child"), on_delete=models.CASCADE, related_name="ipars"
    )
    number = models.CharField(_("number"), max_length=50, unique=True)
    issued_on = models.DateField(_("issued on"))
    valid_until = models.DateField(_("valid until"))
    home_services = models.BooleanField(_("recommends home-based services"), default=False)
    services = models.JSONField(_("recommended kinds of service"), default=list, blank=True)
    form_031_on = models.DateField(_("form 031/у signed on"), null=True, blank=True)
    mse_on = models.DateField(_("medico-social expertise (МСЭ) on"), null=True, blank=True)
    pmpk_conclusion = models.CharField(_("ПМПК conclusion"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("ИПАР")
        verbose_name_plural = _("ИПАР")
        ordering = ["child", "-issued_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("issued_on")),
                name="ipar_valid_after_issue",
                violation_error_message=_("An ИПАР cannot end before it was issued."),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def clean(self) -> None:
        problem = form_031_problem(self.form_031_on, self.mse_on)
        if problem:
            raise ValidationError({"form_031_on": ValidationError(problem[1], code=problem[0])})

    def covers(self, day: datetime.date) -> bool:
        return self.issued_on <= day <= self.valid_until


class ServiceApplication(models.Model):
    """The legal representative's application, with the consent to the services (Alg. §15–16)."""

    child = models.ForeignKey(
        Child, verbose_name=_("child"), on_delete=models.CASCADE, related_name="applications"
    )
    representative = models.ForeignKey(
        LegalRepresentative,
        verbose_name=_("legal representative"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applications",
    )
    submitted_on = models.DateField(_("submitted on"))
    consent_on = models.DateField(_("consent given on"), null=True, blank=True)
    consent_withdrawn_on = models.DateField(_("consent withdrawn on"), null=True, blank=True)
    withdrawal_reason = models.TextField(_("reason for withdrawal"), blank=True)

    class Meta:
        verbose_name = _("application and consent")
        verbose_name_plural = _("applications and consents")
        ordering = ["child", "-submitted_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(consent_withdrawn_on__isnull=True)
                | Q(consent_on__isnull=False, consent_withdrawn_on__gte=models.F("consent_on")),
                name="consent_withdrawn_after_given",
                violation_error_message=_("Consent is withdrawn only after it was given."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.child} — {self.submitted_on:%d.%m.%Y}"

    def consent_covers(self, day: datetime.date) -> bool:
        return (
            self.consent_on is not None
            and self.consent_on <= day
            and (self.consent_withdrawn_on is None or day < self.consent_withdrawn_on)
        )


class NeedsAssessment(models.Model):
    """A social worker's conclusion on which services the child needs (order No. 200)."""

    child = models.ForeignKey(
        Child, verbose_name=_("child"), on_delete=models.CASCADE, related_name="assessments"
    )
    assessed_on = models.DateField(_("assessed on"))
    social_worker = models.CharField(_("social worker"), max_length=200)
    conclusion = models.TextField(_("conclusion"))
    services = models.JSONField(_("recommended kinds of service"), default=list, blank=True)
    home_visits_per_week = models.PositiveSmallIntegerField(
        _("home visits a week"), default=2, validators=[MaxValueValidator(7)]
    )
    centre_visits_per_week = models.PositiveSmallIntegerField(
        _("centre visits a week"), default=3, validators=[MaxValueValidator(7)]
    )

    class Meta:
        verbose_name = _("needs assessment")
        verbose_name_plural = _("needs assessments")
        ordering = ["child", "-assessed_on"]

    def __str__(self) -> str:
        return f"{self.child} — {self.assessed_on:%d.%m.%Y}"


class EnrollmentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft decision")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")


class EndReason(models.TextChoices):
    TURNED_18 = "turned_18", _("Turned 18")
    IPAR_EXPIRED = "ipar_expired", _("ИПАР expired")
    CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent withdrawn")
    MOVED_OUT = "moved_out", _("Moved out of Astana")
    DIED = "died", _("Died")
    TRANSFERRED = "transferred", _("Transferred to another provider")
    OTHER = "other", _("Other")


class EnrollmentQuerySet(models.QuerySet["Enrollment"]):
    def in_force(
        self, start: datetime.date, end: datetime.date | None = None
    ) -> EnrollmentQuerySet:
        """Approved enrolments in force on some day of [start, end] (on `start` alone)."""
        return self.filter(status=EnrollmentStatus.APPROVED, start_on__lte=end or start).filter(
            Q(end_on__isnull=True) | Q(end_on__gte=start)
        )


class Enrollment(models.Model):
    """The akimat's decision to provide pilot services to a child through a provider."""

    child = models.ForeignKey(
        Child, verbose_name=_("child"), on_delete=models.PROTECT, related_name="enrollments"
    )
    provider = models.ForeignKey(
        "providers.Provider",
        verbose_name=_("provider"),
        on_delete=models.PROTECT,
        related_name="enrollments",
    )
    application = models.ForeignKey(
        ServiceApplication,
        verbose_name=_("application and consent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="enrollments",
    )
    decision_number = models.CharField(_("decision number"), max_length=50, unique=True)
    decision_date = models.DateField(_("decision date"))
    start_on = models.DateField(_("start"))
    end_on = models.DateField(_("end"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=EnrollmentStatus.choices,
        default=EnrollmentStatus.DRAFT,
    )
    refusal_reasons = models.TextField(_("reasons for refusal"), blank=True)
    end_reason = models.CharField(
        _("reason for ending"), max_length=20, choices=EndReason.choices, blank=True
    )
    end_note = models.TextField(_("note on ending"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    confirmation_pin = models.CharField(
        _("representative's PIN (hashed)"),
        max_length=128,
        blank=True,
        help_text=_("Chosen by the legal representative at enrolment to confirm visits."),
    )
    pin_failures = models.PositiveSmallIntegerField(_("wrong PIN entries in a row"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = EnrollmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        ordering = ["-start_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_on__isnull=True) | Q(end_on__gte=models.F("start_on")),
                name="enrollment_ends_after_start",
                violation_error_message=_("An enrolment cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=~Q(status="refused") | ~Q(refusal_reasons=""),
                name="refused_enrollment_has_reasons",
            ),
        ]
        indexes = [models.Index(fields=["child", "provider", "start_on"])]

    def __str__(self) -> str:
        return f"{self.decision_number}: {self.child} → {self.provider}"

    def covers(self, day: datetime.date) -> bool:
        return self.start_on <= day and (self.end_on is None or day <= self.end_on)


class WarningKind(models.TextChoices):
    IPAR_ENDING = "ipar_ending", _("ИПАР ends within 30 days")
    TURNS_18 = "turns_18", _("Turns 18 within 30 days")


class EnrollmentWarning(models.Model):
    """An enrolment about to lose a condition, listed by the nightly task for the officers."""

    enrollment = models.ForeignKey(
        Enrollment, verbose_name=_("enrolment"), on_delete=models.CASCADE, related_name="warnings"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=WarningKind.choices)
    due_on = models.DateField(_("due on"))
    found_on = models.DateField(_("found on"))

    class Meta:
        verbose_name = _("enrolment warning")
        verbose_name_plural = _("enrolment warnings")
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "kind", "due_on"], name="one_warning_per_condition"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enrollment} — {self.get_kind_display()} ({self.due_on:%d.%m.%Y})"


class DuplicateStatus(models.TextChoices):
    OPEN = "open", _("To review")
    MERGED = "merged", _("Merged")
    DISTINCT = "distinct", _("Different people")


class PossibleDuplicate(models.Model):
    """Two children under different IINs with the same normalised name and birth date."""

    # After a merge the removed child is gone; the pair keeps who they were (IIN, name, birth).
    first = models.ForeignKey(
        Child, verbose_name=_("first"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    second = models.ForeignKey(
        Child, verbose_name=_("second"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_label = models.CharField(_("first"), max_length=400)
    second_label = models.CharField(_("second"), max_length=400)
    status = models.CharField(
        _("status"), max_length=10, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN
    )
    comment = models.TextField(_("comment"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    found_at = models.DateTimeField(_("found at"), auto_now_add=True)

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        ordering = ["status", "-found_at"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="one_duplicate_pair"),
            models.CheckConstraint(condition=Q(first__lt=models.F("second")), name="pair_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.first_label} / {self.second_label}"


for _model in (
    Child,
    LegalRepresentative,
    Ipar,
    ServiceApplication,
    NeedsAssessment,
    PossibleDuplicate,
):
    auditlog.register(_model)
# The PIN's hash never goes into the audit trail; that the PIN changed is recorded by its service.
auditlog.register(Enrollment, exclude_fields=["confirmation_pin"])
