"""Charts of a report and of the analysts' dashboard, drawn as SVG by matplotlib.

Each chart is made from published figures (already suppressed): a "< 5" cell is drawn as no
bar and said so in the chart's note. Text is drawn as paths, so the SVG looks the same in a
browser and in WeasyPrint whatever fonts the server has; the output is deterministic (fixed
hash salt, no date) so that two versions made of the same figures hold the same bytes.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext as _

from reports.suppression import is_suppressed

COLOURS = ("#1f5f8b", "#e39b2d", "#3b8f5a", "#9b3b3b", "#6d5a9c")


def _figure(width: float = 7.0, height: float = 3.0) -> Any:
    from matplotlib.figure import Figure  # noqa: PLC0415 - matplotlib is loaded only to draw

    figure = Figure(figsize=(width, height), dpi=100)
    figure.set_layout_engine("constrained")
    return figure


def _svg(figure: Any) -> str:
    import matplotlib  # noqa: PLC0415 - matplotlib is loaded only to draw

    out = io.StringIO()
    with matplotlib.rc_context({"svg.hashsalt": "astana-pilot", "svg.fonttype": "path"}):
        figure.savefig(out, format="svg", metadata={"Date": None, "Creator": None})
    return out.getvalue()


def _number(cell: Any) -> float | None:
    if cell is None or is_suppressed(cell):
        return None
    return float(cell)


def _nothing_to_draw(axes: Any, *, months: bool) -> None:
    """A chart whose figures are all zero or empty says so, rather than draw bare axes (a
    horizontal chart of no findings would show a meaningless scale around 0)."""
    axes.text(
        0.5,
        0.5,
        _("Nothing to draw for the period."),
        ha="center",
        va="center",
        transform=axes.transAxes,
        fontsize=9,
        color="#555555",
        gid="nothing-to-draw",
    )
    axes.set_yticks([])  # a scale of nothing
    if not months:
        axes.set_xticks([])


def _bars(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[Any]]],
    *,
    title: str,
    unit: str = "",
    horizontal: bool = False,
) -> str:
    figure = _figure(7.0, 3.0 if not horizontal else max(2.2, 0.35 * len(labels) + 1))
    axes = figure.add_subplot()
    count = max(1, len(series))
    width = 0.8 / count
    hidden = drawn = False
    for index, (name, values) in enumerate(series):
        numbers = [_number(v) for v in values]
        hidden = hidden or any(
            n is None and v is not None for n, v in zip(numbers, values, strict=True)
        )
        positions = [i + (index - (count - 1) / 2) * width for i in range(len(labels))]
        heights = [n or 0 for n in numbers]
        drawn = drawn or any(heights)
        if horizontal:
            axes.barh(positions, heights, height=width, label=name, color=COLOURS[index % 5])
        else:
            axes.bar(positions, heights, width=width, label=name, color=COLOURS[index % 5])
    ticks = list(range(len(labels)))
    if horizontal:
        axes.set_yticks(ticks, labels=list(labels), fontsize=8)
        axes.invert_yaxis()
        axes.set_xlabel(unit, fontsize=8)
    else:
        axes.set_xticks(ticks, labels=list(labels), fontsize=8)
        axes.set_ylabel(unit, fontsize=8)
    axes.tick_params(labelsize=8)
    axes.set_title(title, fontsize=10)
    axes.spines[["top", "right"]].set_visible(False)
    if not drawn and not hidden:
        _nothing_to_draw(axes, months=not horizontal)
    elif count > 1:
        axes.legend(
            fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=count
        )
    if hidden:
        # Below the axes, in the layout's own space: it never covers the months' labels.
        figure.supxlabel(
            _("Hidden values (“< 5”, “×”) are not drawn."), fontsize=7, x=0.01, ha="left"
        )
    return _svg(figure)


def _line(labels: Sequence[str], values: Sequence[Any], *, title: str, unit: str) -> str:
    figure = _figure()
    axes = figure.add_subplot()
    points = [(i, _number(v)) for i, v in enumerate(values)]
    shown = [(i, v) for i, v in points if v is not None]
    if shown:
        axes.plot([i for i, _v in shown], [v for _i, v in shown], marker="o", color=COLOURS[0])
    axes.set_xticks(range(len(labels)), labels=list(labels), fontsize=8)
    axes.set_ylim(0, 100)
    axes.set_ylabel(unit, fontsize=8)
    axes.tick_params(labelsize=8)
    axes.set_title(title, fontsize=10)
    axes.spines[["top", "right"]].set_visible(False)
    if not shown:
        _nothing_to_draw(axes, months=True)
    return _svg(figure)


def _millions(value: Any) -> Any:
    """Tenge as millions; a hidden amount stays hidden (not drawn, and said so)."""
    if value is None or is_suppressed(value):
        return value
    return round(float(value) / 1_000_000, 2)


def recipients_chart(figures: dict[str, Any]) -> str:
    months = figures["monthly"]
    return _bars(
        [row["month"] for row in months],
        [(_("Children served"), [row["children"] for row in months])],
        title=_("Children served, by month"),
        unit=_("children"),
    )


def service_days_chart(figures: dict[str, Any]) -> str:
    months = figures["monthly"]
    return _bars(
        [row["month"] for row in months],
        [(_("Service days"), [row["service_days"] for row in months])],
        title=_("Service days, by month"),
        unit=_("service days"),
    )


def spending_chart(figures: dict[str, Any]) -> str:
    months = figures["monthly"]
    return _bars(
        [row["month"] for row in months],
        [
            (_("Plan by payments"), [_millions(row["plan_payments"]) for row in months]),
            (_("Approved"), [_millions(row["approved"]) for row in months]),
            (_("Paid"), [_millions(row["paid"]) for row in months]),
        ],
        title=_("Spending against the plan, by month"),
        unit=_("million ₸"),
    )


def frequency_chart(figures: dict[str, Any]) -> str:
    months = figures["monthly"]
    return _line(
        [row["month"] for row in months],
        [row["weeks_share"] for row in months],
        title=_("Child-weeks meeting 2 home + 3 centre visits"),
        unit="%",
    )


def findings_chart(figures: dict[str, Any]) -> str:
    rows = figures["control"]["findings"]
    return _bars(
        [row["kind"] for row in rows],
        [(_("Findings"), [row["total"] for row in rows])],
        title=_("Reconciliation findings, by kind"),
        unit=_("findings"),
        horizontal=True,
    )


CHARTS = {
    "recipients": recipients_chart,
    "service-days": service_days_chart,
    "spending": spending_chart,
    "frequency": frequency_chart,
    "findings": findings_chart,
}
