"""Providers of special social services and their admission to the pilot (domain.md §3, App. 1)."""

from __future__ import annotations

import datetime
from decimal import Decimal

from auditlog.registry import auditlog
from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.validators import validate_bin
from providers.participation import participant_on
from providers.uploads import random_name, validate_document_file


class Sector(models.TextChoices):
    NON_STATE = "non_state", _("Non-state")
    STATE = "state", _("State")


class LegalForm(models.TextChoices):
    PUBLIC_FOUNDATION = "ОФ", _("Public foundation (ОФ)")
    PUBLIC_ASSOCIATION = "ОО", _("Public association (ОО)")
    LLP = "ТОО", _("Limited liability partnership (ТОО)")
    INDIVIDUAL_ENTREPRENEUR = "ИП", _("Individual entrepreneur (ИП)")
    STATE_INSTITUTION = "КГУ", _("Communal state institution (КГУ)")
    OTHER = "other", _("Other")


class Provider(models.Model):
    """A licensed provider of special social services; a pilot participant once admitted.

    Participation is decided on the day: `admitted_on` is the date of the akimat's decision that
    put the provider on the participants' list, `excluded_on` the first day it is off the list.
    """

    name = models.CharField(_("name"), max_length=300)
    legal_form = models.CharField(_("legal form"), max_length=10, choices=LegalForm.choices)
    bin = models.CharField(_("BIN"), max_length=12, unique=True, validators=[validate_bin])
    sector = models.CharField(_("sector"), max_length=10, choices=Sector.choices)
    address = models.CharField(_("legal address"), max_length=500, blank=True)
    head_name = models.CharField(_("head (full name)"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)

    license_number = models.CharField(_("licence number"), max_length=50, blank=True)
    license_issued_on = models.DateField(_("licence issued on"), null=True, blank=True)
    license_home_care = models.BooleanField(
        _("licence covers home-based services"),
        default=False,
        help_text=_("Only a licence for home-based special social services admits to the pilot."),
    )

    planned_recipients = models.PositiveIntegerField(
        _("planned number of recipients"),
        default=0,
        help_text=_("Used for the staffing norms until children are enrolled."),
    )
    planned_care_recipients = models.PositiveIntegerField(
        _("of them, children needing a care social worker"),
        default=0,
        help_text=_("Children with psychoneurological pathologies or musculoskeletal disorders."),
    )
    vehicles = models.PositiveIntegerField(_("roadworthy vehicles"), default=0)

    admitted_on = models.DateField(_("admitted to the pilot on"), null=True, blank=True)
    admission_decision_number = models.CharField(
        _("admission decision number"), max_length=50, blank=True
    )
    suspended_on = models.DateField(_("suspended from"), null=True, blank=True)
    suspension_reason = models.TextField(_("suspension reason"), blank=True)
    excluded_on = models.DateField(_("excluded from the pilot on"), null=True, blank=True)
    exclusion_reason = models.TextField(_("exclusion reason"), blank=True)

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(excluded_on__isnull=True)
                | Q(admitted_on__isnull=False, excluded_on__gt=models.F("admitted_on")),
                name="provider_excluded_after_admitted",
                violation_error_message=_("A provider is excluded only after its admission."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_eligible(self) -> bool:
        """Alg. §5: non-state, with a licence that covers home-based provision."""
        return self.sector == Sector.NON_STATE and self.license_home_care

    def accepts_enrolments_on(self, day: datetime.date) -> bool:
        """A participant not suspended on `day`: new children may be enrolled with it.

        Suspension stops new enrolments only; paid days follow `is_participant_on` (billing
        rule 2 knows admission and exclusion, not suspension).
        """
        return self.is_participant_on(day) and (
            self.suspended_on is None or day < self.suspended_on
        )

    def is_participant_on(self, day: datetime.date) -> bool:
        return participant_on(
            day,
            eligible=self.is_eligible,
            admitted_on=self.admitted_on,
            excluded_on=self.excluded_on,
        )


class Branch(models.Model):
    """A separate department (отделение) of a provider; each needs its own head (App. 1 No. 1)."""

    provider = models.ForeignKey(
        Provider, verbose_name=_("provider"), on_delete=models.CASCADE, related_name="branches"
    )
    name = models.CharField(_("name"), max_length=300)
    address = models.CharField(_("address"), max_length=500)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    class Meta:
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        ordering = ["provider", "name"]

    def __str__(self) -> str:
        return f"{self.provider} — {self.name}"


class Tenure(models.TextChoices):
    OWNED = "owned", _("Owned")
    LEASED = "leased", _("Leased")


class Premises(models.Model):
    """A building or rooms where the centre services are given."""

    provider = models.ForeignKey(
        Provider, verbose_name=_("provider"), on_delete=models.CASCADE, related_name="premises"
    )
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="premises",
    )
    address = models.CharField(_("address"), max_length=500)
    tenure = models.CharField(_("owned or leased"), max_length=10, choices=Tenure.choices)
    cadastre_record = models.CharField(
        _("cadastre registration record"),
        max_length=100,
        blank=True,
        help_text=_(
            "State registration of the right (or of the lease) in the real-estate cadastre."
        ),
    )
    lease_ends_on = models.DateField(_("lease ends on"), null=True, blank=True)
    is_new_building = models.BooleanField(
        _("newly commissioned building"),
        default=False,
        help_text=_(
            "A new building shows the commissioning documents instead of an inspection act."
        ),
    )

    class Meta:
        verbose_name = _("premises")
        verbose_name_plural = _("premises")
        ordering = ["provider", "address"]
        constraints = [
            models.CheckConstraint(
                condition=Q(tenure="owned") | Q(lease_ends_on__isnull=False),
                name="premises_lease_has_end",
                violation_error_message=_("A lease must have an end date."),
            ),
        ]

    def __str__(self) -> str:
        return self.address


class DocumentKind(models.TextChoices):
    """Qualification documents of order No. 222 as the Algorithm lists them (Alg. §6)."""

    OWNERSHIP_RECORD = "ownership_record", _("Cadastre record of ownership")
    LEASE = "lease", _("Lease agreement (registered in the cadastre)")
    SANITARY_CONCLUSION = "sanitary_conclusion", _("Sanitary-epidemiological conclusion")
    SANITARY_NOTIFICATION = "sanitary_notification", _("Notification of the start of activity")
    FIRE_INSPECTION_ACT = (
        "fire_inspection_act",
        _("Fire-safety inspection or preventive control act"),
    )
    COMMISSIONING_ACT = "commissioning_act", _("Commissioning act of the building")
    FIRE_SAFETY_ORDER = "fire_safety_order", _("Order appointing those responsible for fire safety")
    FIRE_SAFETY_INSTRUCTIONS = "fire_safety_instructions", _("Fire-safety instructions")
    EVACUATION_PLAN = "evacuation_plan", _("Evacuation plan")
    EXTINGUISHERS_LIST = "extinguishers_list", _("List of primary fire-extinguishing means")
    FIRE_AUTOMATION_ACT = "fire_automation_act", _("Acceptance act of the fire automation")
    STAFFING_TABLE = "staffing_table", _("Approved staffing table")
    LICENSE = "license", _("Licence for special social services")
    OTHER = "other", _("Other document")


# The documents a new building shows instead of a fire-safety inspection act (Alg. §6.2).
NEW_BUILDING_FIRE_DOCUMENTS = (
    DocumentKind.COMMISSIONING_ACT,
    DocumentKind.FIRE_SAFETY_ORDER,
    DocumentKind.FIRE_SAFETY_INSTRUCTIONS,
    DocumentKind.EVACUATION_PLAN,
    DocumentKind.EXTINGUISHERS_LIST,
    DocumentKind.FIRE_AUTOMATION_ACT,
)


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("Pending review")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class ExpiryFlag(models.TextChoices):
    """Set every day by `flag_expiring_documents_task`."""

    VALID = "valid", _("Valid")
    EXPIRING = "expiring", _("Expires within 30 days")
    EXPIRED = "expired", _("Expired")


def document_upload_to(instance: models.Model, filename: str) -> str:
    # Random names: the original name may contain personal data and must not be guessable.
    return random_name("documents", filename)


class DocumentFields(models.Model):
    """What every uploaded document has: the file, its number and dates, and its review."""

    file = models.FileField(
        _("file"), upload_to=document_upload_to, validators=[validate_document_file]
    )
    original_name = models.CharField(_("original file name"), max_length=255, blank=True)
    number = models.CharField(_("document number"), max_length=100, blank=True)
    issued_on = models.DateField(_("issued on"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    expiry_flag = models.CharField(
        _("expiry"), max_length=10, choices=ExpiryFlag.choices, default=ExpiryFlag.VALID
    )
    review_status = models.CharField(
        _("review"), max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        abstract = True


class QualificationDocument(DocumentFields):
    provider = models.ForeignKey(
        Provider, verbose_name=_("provider"), on_delete=models.CASCADE, related_name="documents"
    )
    premises = models.ForeignKey(
        Premises,
        verbose_name=_("premises"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="documents",
        help_text=_("The premises the document is about, for premises documents."),
    )
    kind = models.CharField(_("kind"), max_length=40, choices=DocumentKind.choices)

    class Meta:
        verbose_name = _("qualification document")
        verbose_name_plural = _("qualification documents")
        ordering = ["provider", "kind", "-issued_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("issued_on")),
                name="qualification_document_valid_after_issue",
                violation_error_message=_("A document cannot end before it was issued."),
            ),
            models.CheckConstraint(
                condition=~Q(review_status="rejected") | ~Q(rejection_reason=""),
                name="qualification_document_rejection_has_reason",
                violation_error_message=_("A rejected document needs a reason."),
            ),
        ]
        indexes = [models.Index(fields=["expiry_flag", "valid_until"])]

    def __str__(self) -> str:
        label = self.get_kind_display()
        return f"{label} {self.number}".strip()


class RoomKind(models.TextChoices):
    """The eight rooms a centre must have equipped (Alg. §6.3)."""

    MASSAGE = "massage", _("Massage room")
    PSYCHOLOGIST = "psychologist", _("Psychologist's room")
    DEFECTOLOGIST = "defectologist", _("Defectologist's room")
    SPEECH_THERAPIST = "speech_therapist", _("Speech therapist's room")
    OCCUPATIONAL_THERAPY = "occupational_therapy", _("Occupational therapy room")
    ADAPTIVE_PE = "adaptive_pe", _("Adaptive / therapeutic physical culture (АФК/ЛФК) room")
    MUSIC = "music", _("Music room")
    PLAY_THERAPY = "play_therapy", _("Play therapy room")


class EquippedRoom(models.Model):
    provider = models.ForeignKey(
        Provider, verbose_name=_("provider"), on_delete=models.CASCADE, related_name="rooms"
    )
    kind = models.CharField(_("room"), max_length=30, choices=RoomKind.choices)
    equipped = models.BooleanField(_("equipped"), default=False)
    inventory = models.TextField(_("inventory"), blank=True, max_length=2000)

    class Meta:
        verbose_name = _("equipped room")
        verbose_name_plural = _("equipped rooms")
        ordering = ["provider", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "kind"], name="one_room_of_each_kind"),
        ]

    def __str__(self) -> str:
        return self.get_kind_display()


class Position(models.TextChoices):
    """The twenty positions of App. 1, in its order."""

    DIRECTOR = "director", _("Director / head")
    DEPUTY_DIRECTOR = "deputy_director", _("Deputy director")
    SOCIAL_WORK_CONSULTANT = "social_work_consultant", _("Social work consultant")
    CARE_SOCIAL_WORKER = "care_social_worker", _("Care social worker")
    DRIVER = "driver", _("Driver")
    SPEECH_THERAPIST = "speech_therapist", _("Speech therapist")
    DEFECTOLOGIST = "defectologist", _("Defectologist")
    MUSIC_TEACHER = "music_teacher", _("Music teacher")
    PE_TEACHER = "pe_teacher", _("Physical-education teacher")
    THERAPEUTIC_PE_INSTRUCTOR = "therapeutic_pe_instructor", _("Therapeutic PE (ЛФК) instructor")
    PSYCHOLOGIST = "psychologist", _("Psychologist")
    OCCUPATIONAL_THERAPY_INSTRUCTOR = (
        "occupational_therapy_instructor",
        _("Occupational therapy instructor"),
    )
    ACCOUNTANT = "accountant", _("Accountant")
    HR_INSPECTOR = "hr_inspector", _("HR inspector")
    TECHNICAL_STAFF = "technical_staff", _("Technical staff (cleaner)")
    MASSAGE_NURSE = "massage_nurse", _("Massage nurse")
    LAWYER = "lawyer", _("Lawyer")
    NURSE = "nurse", _("Nurse")
    CULTURAL_ORGANISER = "cultural_organiser", _("Cultural organiser")
    DOCTOR = "doctor", _("Doctor")


class NormBasis(models.TextChoices):
    PER_ORGANISATION = "per_organisation", _("per organisation")
    PER_BRANCH = "per_branch", _("per organisation or branch")
    PER_RECIPIENTS = "per_recipients", _("per N recipients")
    PER_CARE_RECIPIENTS = "per_care_recipients", _("per N children needing care")
    PER_VEHICLE = "per_vehicle", _("per roadworthy vehicle")


class StaffingNorm(models.Model):
    """One line of App. 1, kept as data so that the akimat can correct it without a release."""

    number = models.PositiveSmallIntegerField(_("No."), unique=True)
    position = models.CharField(_("position"), max_length=40, choices=Position.choices, unique=True)
    units = models.DecimalField(_("units"), max_digits=4, decimal_places=2)
    basis = models.CharField(_("basis"), max_length=30, choices=NormBasis.choices)
    per_count = models.PositiveIntegerField(
        _("N"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    by_need = models.BooleanField(
        _("by need"),
        default=False,
        help_text=_("Introduced only when needed (a doctor): a missing unit is not a shortfall."),
    )

    class Meta:
        verbose_name = _("staffing norm")
        verbose_name_plural = _("staffing norms (App. 1)")
        ordering = ["number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    basis__in=["per_recipients", "per_care_recipients"], per_count__isnull=False
                )
                | ~Q(basis__in=["per_recipients", "per_care_recipients"]),
                name="staffing_norm_per_count_set",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.get_position_display()}"


class StaffMember(models.Model):
    provider = models.ForeignKey(
        Provider, verbose_name=_("provider"), on_delete=models.CASCADE, related_name="staff"
    )
    full_name = models.CharField(_("full name"), max_length=200)
    position = models.CharField(_("position"), max_length=40, choices=Position.choices)
    fte = models.DecimalField(
        _("FTE"),
        max_digits=4,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0.05"))],
        help_text=_("Share of a full-time unit, e.g. 0.5."),
    )
    education = models.CharField(_("education"), max_length=300, blank=True)
    hired_on = models.DateField(_("hired on"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff member")
        verbose_name_plural = _("staff")
        ordering = ["provider", "position", "full_name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(fte__gt=0) & Q(fte__lte=Decimal("2.00")),
                name="staff_member_fte_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} — {self.get_position_display()}"


class StaffDocumentKind(models.TextChoices):
    EDUCATION = "education", _("Diploma of professional education")
    QUALIFICATION = "qualification", _("Qualification document")
    TRAINING = "training", _("Training or retraining certificate")
    RECOGNITION = "recognition", _("Recognition of professional qualification")


class StaffDocument(DocumentFields):
    staff_member = models.ForeignKey(
        StaffMember,
        verbose_name=_("staff member"),
        on_delete=models.CASCADE,
        related_name="documents",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=StaffDocumentKind.choices)

    class Meta:
        verbose_name = _("staff document")
        verbose_name_plural = _("staff documents")
        ordering = ["staff_member", "kind"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("issued_on")),
                name="staff_document_valid_after_issue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}".strip()


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    INSPECTION_REQUESTED = "inspection_requested", _("Accessibility inspection requested")
    INSPECTED = "inspected", _("Inspected")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned for correction")
    REJECTED = "rejected", _("Rejected")


# Statuses in which an application is still being worked on: at most one per provider.
OPEN_APPLICATION_STATUSES = (
    ApplicationStatus.DRAFT,
    ApplicationStatus.SUBMITTED,
    ApplicationStatus.INSPECTION_REQUESTED,
    ApplicationStatus.INSPECTED,
    ApplicationStatus.RETURNED,
)


class InspectionResult(models.TextChoices):
    ACCESSIBLE = "accessible", _("Accessible")
    NOT_ACCESSIBLE = "not_accessible", _("Not accessible")


class AdmissionApplication(models.Model):
    """A provider's application to join the pilot, and the akimat's decision on it."""

    provider = models.ForeignKey(
        Provider,
        verbose_name=_("provider"),
        on_delete=models.PROTECT,
        related_name="applications",
    )
    status = models.CharField(
        _("status"),
        max_length=25,
        choices=ApplicationStatus.choices,
        default=ApplicationStatus.DRAFT,
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    inspection_requested_at = models.DateTimeField(
        _("inspection requested at"), null=True, blank=True
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspector"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    inspected_on = models.DateField(_("inspected on"), null=True, blank=True)
    inspection_result = models.CharField(
        _("inspection result"), max_length=20, choices=InspectionResult.choices, blank=True
    )
    inspection_notes = models.TextField(_("inspection notes"), blank=True)
    decision_number = models.CharField(_("decision number"), max_length=50, blank=True)
    decision_date = models.DateField(_("decision date"), null=True, blank=True)
    reasons = models.TextField(
        _("reasons"), blank=True, help_text=_("Why the application was returned or rejected.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("admission application")
        verbose_name_plural = _("admission applications")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider"],
                condition=Q(status__in=[s.value for s in OPEN_APPLICATION_STATUSES]),
                name="one_open_application_per_provider",
                violation_error_message=_("The provider already has an application in progress."),
            ),
            models.CheckConstraint(
                condition=~Q(status="approved")
                | (Q(decision_date__isnull=False) & ~Q(decision_number="")),
                name="approved_application_has_decision",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["returned", "rejected"]) | ~Q(reasons=""),
                name="refused_application_has_reasons",
            ),
            models.CheckConstraint(
                condition=~Q(status="inspected")
                | (Q(inspected_on__isnull=False) & ~Q(inspection_result="")),
                name="inspected_application_has_result",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} — {self.get_status_display()}"


class ApplicationEvent(models.Model):
    """One transition of an application: the history shown to the provider and the akimat."""

    application = models.ForeignKey(
        AdmissionApplication,
        verbose_name=_("application"),
        on_delete=models.CASCADE,
        related_name="events",
    )
    from_status = models.CharField(
        _("from"), max_length=25, choices=ApplicationStatus.choices, blank=True
    )
    to_status = models.CharField(_("to"), max_length=25, choices=ApplicationStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("application event")
        verbose_name_plural = _("application events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


# Every change of these records is in the audit trail (who, when, which fields).
for _model in (
    Provider,
    Branch,
    Premises,
    QualificationDocument,
    EquippedRoom,
    StaffingNorm,
    StaffMember,
    StaffDocument,
    AdmissionApplication,
):
    auditlog.register(_model)
