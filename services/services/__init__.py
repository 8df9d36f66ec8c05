"""Every write of the visits stage (domain.md §5): schedules, planned visits, logging, confirmation.

Pages, the API, the admin, tasks and the demo call these, so each rule is enforced once. One
module per step: `access` (who may act), `catalogue` (the services and the calendar),
`schedules`, `plans` (planned visits), `visits` (logging), `confirmation` (the
representative's, Alg. §20) and `corrections` (the head's); callers import the package.
"""

from __future__ import annotations

from services.services.catalogue import (
    public_holidays,
    schedule_weekday_of,
    service_codes,
    transfers_between,
)
from services.services.confirmation import (
    PIN_ATTEMPTS,
    PNG_MAGIC,
    SIGNATURE_MAX_BYTES,
    enrollment_set_pin,
    signature_png,
    visit_confirm,
)
from services.services.corrections import (
    CORRECTABLE,
    visit_correct,
)
from services.services.plans import (
    PLAN_AHEAD_DAYS,
    enrollment_ended_plans_end,
    enrollment_plans_end,
    planned_visit_id,
    remove_untouched_plans,
    visits_generate,
)
from services.services.schedules import (
    schedule_approve,
    schedule_create,
    schedule_problems,
    schedule_update,
)
from services.services.visits import (
    flag_overlaps,
    flag_overlaps_in,
    flag_overlaps_on,
    visit_cancel,
    visit_create,
    visit_mark_done,
    visit_mark_missed,
)

__all__ = [
    "CORRECTABLE",
    "PIN_ATTEMPTS",
    "PLAN_AHEAD_DAYS",
    "PNG_MAGIC",
    "SIGNATURE_MAX_BYTES",
    "enrollment_ended_plans_end",
    "enrollment_plans_end",
    "enrollment_set_pin",
    "flag_overlaps",
    "flag_overlaps_in",
    "flag_overlaps_on",
    "planned_visit_id",
    "public_holidays",
    "remove_untouched_plans",
    "schedule_approve",
    "schedule_create",
    "schedule_problems",
    "schedule_update",
    "schedule_weekday_of",
    "service_codes",
    "signature_png",
    "transfers_between",
    "visit_cancel",
    "visit_confirm",
    "visit_correct",
    "visit_create",
    "visit_mark_done",
    "visit_mark_missed",
    "visits_generate",
]
