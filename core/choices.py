"""Choices every app speaks of: kept here, at the floor, so that a visit, a schedule or a file
spec can say "at home" or "at the centre" without importing billing."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Setting(models.TextChoices):
    """Where a service is given (Alg. §2): the tariff of the day depends on it."""

    HOME = "home", _("At home")
    CENTRE = "centre", _("At the centre")
