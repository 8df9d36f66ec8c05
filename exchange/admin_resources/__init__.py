"""The admin's import-export resources, one per exchange file, by the model each imports."""

from __future__ import annotations

from typing import Any

from exchange.admin_resources.monitoring import (
    EducationCorrectionResource,
    HealthStayResource,
    PersonRecordResource,
)
from exchange.admin_resources.providers import ProviderResource
from exchange.admin_resources.recipients import ChildResource, EnrollmentResource, IparResource
from exchange.admin_resources.services import VisitResource
from exchange.admin_resources.tariffs import TariffResource

RESOURCES: dict[Any, list[type[Any]]] = {
    resource._meta.model: [resource]
    for resource in (
        ProviderResource,
        ChildResource,
        IparResource,
        EnrollmentResource,
        VisitResource,
        PersonRecordResource,
        HealthStayResource,
        EducationCorrectionResource,
        TariffResource,
    )
}
