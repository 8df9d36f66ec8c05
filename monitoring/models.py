"""The state registries the akimat reconciles services with (domain.md §6, exchange.md).

Three extracts come as files: residence periods from the persons database, hospital and
sanatorium stays from the health registry, КППК/ПМПК correctional-services periods from the
education registry. Billing reads them by IIN (rules 7–11 of the billing contract).

A registry row names a person by IIN, never by a foreign key to the child: a row for an IIN the
portal does not know is kept, because the child may be enrolled later. Each row links to the
`RegistryImport` that last created or changed it.
"""

from __future__ import annotations

from auditlog.registry import auditlog
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.validators import validate_iin


class RegistryKind(models.TextChoices):
    PERSONS = "persons", _("Persons database (residence)")
    HEALTH = "health", _("Health registry (hospital and sanatorium stays)")
    EDUCATION = "education", _("Education registry (КППК and ПМПК correctional services)")


class RegistryImport(models.Model):
    """One registry file loaded (by `import_dataset` or the admin's import button).

    Recorded only when the file created or changed at least one row: a file that changes
    nothing (the same extract loaded again) leaves no `RegistryImport`, as it leaves no audit
    entries.
    """

    kind = models.CharField(_("registry"), max_length=10, choices=RegistryKind.choices)
    source = models.CharField(_("file"), max_length=255)
    dataset = models.CharField(
        _("dataset"),
        max_length=255,
        blank=True,
        help_text=_("The folder or upload the file came with."),
    )
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("loaded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    loaded_at = models.DateTimeField(_("loaded at"), default=timezone.now)
    rows = models.PositiveIntegerField(_("rows in the file"), default=0)
    created = models.PositiveIntegerField(_("rows added"), default=0)
    updated = models.PositiveIntegerField(_("rows changed"), default=0)
    unknown_iins = models.PositiveIntegerField(
        _("rows for IINs not known to the portal"), default=0
    )

    class Meta:
        verbose_name = _("registry import")
        verbose_name_plural = _("registry imports")
        ordering = ["-loaded_at", "-pk"]
        indexes = [models.Index(fields=["kind", "loaded_at"], name="registry_import_kind_loaded")]

    def __str__(self) -> str:
        return f"{self.source} {timezone.localtime(self.loaded_at):%Y-%m-%d %H:%M}"


class RegistryRow(models.Model):
    iin = models.CharField(_("IIN"), max_length=12, validators=[validate_iin])
    registry_import = models.ForeignKey(
        RegistryImport,
        verbose_name=_("registry import"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The file that last added or changed the row."),
    )

    class Meta:
        abstract = True


class PersonRecord(RegistryRow):
    """A period of residence registration in Astana, from the persons database (rules 7–8)."""

    astana_from = models.DateField(_("registered in Astana from"))
    astana_until = models.DateField(_("registered in Astana until"), null=True, blank=True)
    death_date = models.DateField(_("date of death"), null=True, blank=True)

    class Meta:
        verbose_name = _("persons database record")
        verbose_name_plural = _("persons database records")
        ordering = ["iin", "astana_from"]
        constraints = [
            models.UniqueConstraint(fields=["iin", "astana_from"], name="one_person_record"),
            models.CheckConstraint(
                condition=Q(astana_until__isnull=True) | Q(astana_until__gte=F("astana_from")),
                name="person_record_until_after_from",
                violation_error_message=_("A residence period cannot end before it starts."),
            ),
        ]
        # The unique constraint indexes (iin, astana_from), which serves lookups by IIN too.

    def __str__(self) -> str:
        return f"{self.iin} {self.astana_from:%Y-%m-%d}"


class HealthStayKind(models.TextChoices):
    HOSPITAL = "hospital", _("Inpatient hospital treatment")
    SANATORIUM = "sanatorium", _("Sanatorium")


class HealthStay(RegistryRow):
    """A hospital or sanatorium stay from the health registry (rules 9–10); no end = still there."""

    kind = models.CharField(_("kind of stay"), max_length=10, choices=HealthStayKind.choices)
    start_on = models.DateField(_("start"))
    end_on = models.DateField(_("end"), null=True, blank=True)
    organisation = models.CharField(_("organisation"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("hospital or sanatorium stay")
        verbose_name_plural = _("hospital and sanatorium stays")
        ordering = ["iin", "start_on", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["iin", "kind", "start_on"], name="one_health_stay"),
            models.CheckConstraint(
                condition=Q(end_on__isnull=True) | Q(end_on__gte=F("start_on")),
                name="health_stay_ends_after_start",
                violation_error_message=_("A stay cannot end before it starts."),
            ),
        ]
        indexes = [models.Index(fields=["iin", "start_on"], name="health_stay_iin_start")]

    def __str__(self) -> str:
        return f"{self.iin} {self.kind} {self.start_on:%Y-%m-%d}"


class CorrectionKind(models.TextChoices):
    KPPK = "kppk", _("КППК")
    PMPK = "pmpk", _("ПМПК")


class EducationCorrection(RegistryRow):
    """A КППК or ПМПК correctional-services period from the education registry (rule 11)."""

    kind = models.CharField(_("assigned by"), max_length=4, choices=CorrectionKind.choices)
    start_on = models.DateField(_("start"))
    end_on = models.DateField(_("end"), null=True, blank=True)
    organisation = models.CharField(_("organisation"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("correctional-services period")
        verbose_name_plural = _("correctional-services periods")
        ordering = ["iin", "start_on", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["iin", "kind", "start_on"], name="one_education_correction"
            ),
            models.CheckConstraint(
                condition=Q(end_on__isnull=True) | Q(end_on__gte=F("start_on")),
                name="education_correction_ends_after_start",
                violation_error_message=_("A period cannot end before it starts."),
            ),
        ]
        indexes = [models.Index(fields=["iin", "start_on"], name="education_iin_start")]

    def __str__(self) -> str:
        return f"{self.iin} {self.kind} {self.start_on:%Y-%m-%d}"


# The registry rows are personal (health) data: every change is audited. A RegistryImport is
# itself the record of a load (who, when, which file), so it is not audited again.
for _model in (PersonRecord, HealthStay, EducationCorrection):
    auditlog.register(_model)
