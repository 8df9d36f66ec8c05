"""The figures of a monitoring report (R261 §10) and of the pilot's evaluation (Alg. §27).

`compute` reads the portal's data for a period in a fixed number of set-based queries and
returns plain, JSON-ready figures. Counts of children (and of families' answers) pass through
`suppression`, so that what is stored in a report version, printed in its files and shown to
analysts never lets a child be singled out (docs/decisions.md, "Monitoring reports").

What counts (docs/decisions.md):
- a child is *served* in the period when at least one of their visits in it is done;
- a *service day* is a child's day in one setting with a done visit (as billed: domain.md §6);
- ages are counted on the child's first service day in the period;
- staff are those in post on the last day of the data, against App. 1 for the children
  enrolled on that day;
- money is whole tenge: approved invoices of the period's months, payments by their date.

The package: one module a section of the report, each a class the next one builds on —
`base` (the scope, its querysets and the helpers), `people` (1–2: recipients, key staff),
`money` (3: the local budget), `kinds` (4: kinds of service), `control` (5: double financing
control), `evaluation` (Alg. §27, the questionnaire and the months) — and here `Computation`,
which runs them in order, with `compute`, `neutral` and `localise`.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings as django_settings
from django.utils import translation
from django.utils.translation import gettext as _

from reports.figures.base import Scope, names
from reports.figures.evaluation import Evaluation
from reports.published import AGE_GROUPS, Published, age_group
from reports.suppression import HIDDEN, SUPPRESSED

__all__ = [
    "AGE_GROUPS",
    "Computation",
    "Scope",
    "age_group",
    "compute",
    "is_neutral",
    "localise",
    "names",
    "neutral",
]


class Computation(Evaluation):
    """One period's figures; each section a method of its module's class, each a few queries."""

    def run(self, progress: Any = None) -> dict[str, Any]:
        def step(percent: int, name: str) -> None:
            if progress is not None:
                progress(percent, name)

        step(5, _("Recipients"))
        recipients = self.recipients()
        step(25, _("Key staff"))
        staff = self.staff()
        step(35, _("Local budget"))
        budget = self.budget()
        step(45, _("Kinds of service"))
        self._service_days = self.service_days()
        services = self.services()
        step(60, _("Double financing control"))
        control = self.control()
        step(70, _("Evaluation of the pilot"))
        evaluation = self.evaluation(staff, budget)
        monthly = self.monthly(budget)
        return {
            "period": {
                "start": self.scope.start.isoformat(),
                "end": self.scope.end.isoformat(),
                "until": self.scope.until.isoformat(),
                "provider": self.providers.get(self.scope.provider_id)
                if self.scope.provider_id is not None
                else None,
            },
            "recipients": recipients,
            "staff": staff,
            "budget": budget,
            "services": services,
            "control": control,
            "evaluation": evaluation,
            "monthly": monthly,
        }


def compute(
    start: datetime.date,
    end: datetime.date,
    *,
    until: datetime.date | None = None,
    provider_id: int | None = None,
    progress: Any = None,
    decision: Published | None = None,
) -> dict[str, Any]:
    """The figures of [start, end], counting data up to `until` (default: the end); the counts
    of children as `decision` publishes them (default: as the month's release publishes
    them, published.decision_for)."""
    until = min(until or end, end)
    return Computation(Scope(start, end, until, provider_id), decision).run(progress)


# Stored figures whose labels are in their source text carry this mark: figures stored before
# (labels already in one language) are not translated.
NEUTRAL = ("labels", "source")


# The keys whose values are labels of the portal's enumerations (translated texts), in the
# figures and their rows; a list under such a key may mix labels and counts ("kinds").
LABEL_KEYS = frozenset(
    {"label", "position", "kind", "kinds", "reason", "statuses", "question", "district"}
)


def neutral(
    start: datetime.date,
    end: datetime.date,
    *,
    until: datetime.date | None = None,
    provider_id: int | None = None,
    progress: Any = None,
    decision: Published | None = None,
) -> dict[str, Any]:
    """The figures as a version stores them (and the dashboard caches them): labels in their
    source text (computed with no language active), so that the same figures print in any
    language with `localise`."""
    with translation.override(None):
        figures = compute(
            start, end, until=until, provider_id=provider_id, progress=progress, decision=decision
        )
    return {**figures, NEUTRAL[0]: NEUTRAL[1]}


def is_neutral(figures: dict[str, Any]) -> bool:
    return figures.get(NEUTRAL[0]) == NEUTRAL[1]


def localise(figures: dict[str, Any], language: str) -> dict[str, Any]:
    """A copy of stored figures with their labels in `language`, and the catalogue's names
    in that language. The counts, tenge and providers' names are left as they are, so two
    versions printed from the same figures in two languages hold the same numbers."""

    def label(value: Any) -> Any:
        if isinstance(value, str) and value not in (SUPPRESSED, HIDDEN):
            return _(value)
        return value

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, dict):
            return node
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in LABEL_KEYS:
                out[key] = [label(v) for v in value] if isinstance(value, list) else label(value)
            else:
                out[key] = walk(value)
        names = node.get("names")
        if isinstance(names, dict) and names:
            out["name"] = (
                names.get(language) or names.get(django_settings.LANGUAGE_CODE) or node["name"]
            )
        return out

    with translation.override(language):
        return dict(walk(figures))
