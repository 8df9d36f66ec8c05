from auditlog.registry import auditlog
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who signs in. Provider staff (heads, coordinators) belong to exactly one provider."""

    provider = models.ForeignKey(
        "providers.Provider",
        verbose_name=_("provider"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff_accounts",
        help_text=_("Set for provider heads and coordinators: they see only this provider's data."),
    )

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        verbose_name = _("user")
        verbose_name_plural = _("users")
        swappable = "AUTH_USER_MODEL"

    def __str__(self) -> str:
        full_name = self.get_full_name()
        return f"{full_name} ({self.username})" if full_name else self.username


auditlog.register(User, exclude_fields=["password", "last_login"], m2m_fields={"groups"})


class JobRow(models.Model):
    """What every job row (a reconciliation run, a report version, a journal PDF) carries so
    that a job whose worker died is noticed and handed out again (core.jobs).

    `heartbeat_at` is the last sign of life: set when the job is queued and re-queued, and
    every JOB_HEARTBEAT_SECONDS while a worker works on it. `attempts` counts the workers that
    started it; past core.jobs.MAX_ATTEMPTS the sweep marks it failed instead of re-queuing."""

    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        abstract = True


class OutboxMessage(models.Model):
    """A task to queue, written in the same transaction as the work it asks for.

    Sent to the broker when that transaction commits; when the broker is down the row stays
    unsent and the sweep (core.jobs.jobs_sweep, every minute and at every worker start) sends
    it once the broker is back, so a missing broker delays work and never loses it."""

    task = models.CharField(_("task"), max_length=200)
    kwargs = models.JSONField(_("arguments"), default=dict)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    tries = models.PositiveIntegerField(_("tries"), default=0)
    error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("queued task")
        verbose_name_plural = _("queued tasks")
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="outbox_unsent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task} {self.kwargs}"
