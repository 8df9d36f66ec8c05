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
