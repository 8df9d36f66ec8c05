"""A report version's files: the PDF (WeasyPrint, charts as SVG) and the XLSX (openpyxl), both
made from the version's published figures only."""

from __future__ import annotations

import base64
import datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from core.spreadsheets import SafeWorkbook
from reports import charts
from reports.models import Report, ReportKind, ReportVersion
from reports.suppression import HIDDEN
from services.journal import FONTS


def title(report: Report) -> str:
    if report.kind == ReportKind.HALF_YEAR:
        return _("Half-year monitoring report")
    return _("Analytical report of the pilot")


def period_label(report: Report) -> str:
    return f"{report.period_start:%d.%m.%Y} – {report.period_end:%d.%m.%Y}"


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _withheld(value: Any) -> float | str:
    """A figure the report does not publish is "×", as in the PDF."""
    return HIDDEN if value is None else float(value)


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def report_pdf(
    version: ReportVersion, figures: dict[str, Any], generated_at: datetime.datetime
) -> bytes:
    from weasyprint import HTML  # noqa: PLC0415 - Pango is loaded only when a PDF is made

    report = version.report
    recipients = figures["recipients"]
    districts, ages = recipients["by_district"], recipients["by_age"]
    pairs = [
        (districts[i] if i < len(districts) else None, ages[i] if i < len(ages) else None)
        for i in range(max(len(districts), len(ages)))
    ]
    html = render_to_string(
        "reports/report_pdf.html",
        {
            "report": report,
            "version": version,
            "figures": figures,
            "title": title(report),
            "period_label": period_label(report),
            "generated_at": generated_at,
            "staff_on": datetime.date.fromisoformat(figures["staff"]["on"]).strftime("%d.%m.%Y"),
            "breakdown_pairs": pairs,
            "charts": {
                "recipients": _data_uri(charts.recipients_chart(figures)),
                "spending": _data_uri(charts.spending_chart(figures)),
                "service_days": _data_uri(charts.service_days_chart(figures)),
                "findings": _data_uri(charts.findings_chart(figures)),
                "frequency": _data_uri(charts.frequency_chart(figures)),
            },
            "font_regular": (FONTS / "DejaVuSans.ttf").as_uri(),
            "font_bold": (FONTS / "DejaVuSans-Bold.ttf").as_uri(),
        },
    )
    return HTML(string=html, base_url=FONTS.as_uri() + "/").write_pdf()


def report_xlsx(version: ReportVersion, figures: dict[str, Any]) -> bytes:
    """One sheet a section; the same published figures as the PDF."""
    report = version.report
    book = SafeWorkbook()

    def sheet(name: str, heading: list[Any], rows: list[list[Any]]) -> None:
        ws = book.create_sheet(title=name)
        ws.append(
            [title(report), period_label(report), _("Data up to"), f"{version.data_until:%d.%m.%Y}"]
        )
        ws.append([])
        ws.append(heading)
        for row in rows:
            ws.append(row)

    r = figures["recipients"]
    sheet(
        _("Recipients"),
        [
            _("Provider"),
            _("children"),
            _("home only"),
            _("centre only"),
            _("both"),
            _("girls"),
            _("boys"),
            _("new"),
            _("ended"),
        ],
        [
            [
                _("Total"),
                r["total"],
                r["home"],
                r["centre"],
                r["both"],
                r["girls"],
                r["boys"],
                r["new"],
                r["ended"],
            ]
        ]
        + [
            [
                row["provider"],
                row["total"],
                row["home"],
                row["centre"],
                row["both"],
                row["girls"],
                row["boys"],
                row["new"],
                row["ended"],
            ]
            for row in r["by_provider"]
        ]
        + [[]]
        + [[_("District"), _("children"), _("girls"), _("boys")]]
        + [[row["label"], row["total"], row["girls"], row["boys"]] for row in r["by_district"]]
        + [[]]
        + [[_("Age (first service day)"), _("children"), _("girls"), _("boys")]]
        + [[row["label"], row["total"], row["girls"], row["boys"]] for row in r["by_age"]],
    )
    s = figures["staff"]
    sheet(
        _("Key staff"),
        [_("Provider"), _("Position"), _("headcount"), _("FTE"), _("required"), _("shortfall")],
        [
            [
                row["provider"],
                _("Total"),
                row["headcount"],
                _number(row["fte"]),
                _withheld(row["required"]),
                _withheld(row["shortfall"]),
            ]
            for row in s["by_provider"]
        ]
        + [
            [
                row["provider"],
                line["position"],
                line["headcount"],
                _number(line["fte"]),
                _withheld(line["required"]),
                _withheld(line["shortfall"]),
            ]
            for row in s["by_provider"]
            for line in row["positions"]
        ],
    )
    b = figures["budget"]
    sheet(
        _("Budget"),
        [
            _("Month"),
            _("plan by obligations, ₸"),
            _("plan by payments, ₸"),
            _("approved, ₸"),
            _("paid, ₸"),
        ],
        [
            [
                row["month"],
                row["plan_obligations"],
                row["plan_payments"],
                row["approved"],
                row["paid"],
            ]
            for row in b["by_month"]
        ]
        + [[_("Total"), b["plan_obligations"], b["plan_payments"], b["approved"], b["paid"]]]
        + [[_("Allocated for the year(s), ₸"), b["allocated"]]]
        + [[]]
        + [[_("Code"), _("Expense specifics"), _("paid, ₸")]]
        + [[row["code"], row["name"], row["paid"]] for row in b["by_code"]]
        + [[]]
        + [
            [
                _("Provider"),
                _("base component a month, ₸"),
                _("service days billed"),
                _("approved, ₸"),
                _("paid, ₸"),
            ]
        ]
        + [
            [
                row["provider"],
                row["base_monthly"],
                row["service_days"],
                row["approved"],
                row["paid"],
            ]
            for row in b["by_provider"]
        ],
    )
    v = figures["services"]
    sheet(
        _("Kinds of service"),
        [_("Provider"), _("home days"), _("centre days"), *v["kinds"]],
        [
            [row["provider"], row["home_days"], row["centre_days"], *row["kinds"]]
            for row in v["by_provider"]
        ]
        + [[_("Total"), v["home_days"], v["centre_days"]]]
        + [[]]
        + [[_("Kind"), _("Service"), _("given")]]
        + [[row["kind"], row["name"], row["given"]] for row in v["catalogue"]],
    )
    c = figures["control"]
    sheet(
        _("Control"),
        [_("Kind"), _("total"), *c["statuses"]],
        [[row["kind"], row["total"], *row["statuses"]] for row in c["findings"]]
        + [[]]
        + [[_("Reason"), _("children"), _("service days"), _("amount, ₸")]]
        + [
            [row["reason"], row["children"], row["service_days"], row["amount"]]
            for row in c["withheld"]
        ]
        + [[_("Total"), None, c["withheld_days"], c["withheld_amount"]]],
    )
    e = figures["evaluation"]
    a, q, sat, eff = e["accessibility"], e["quality"], e["satisfaction"], e["effectiveness"]
    sheet(
        _("Evaluation"),
        [_("Indicator"), _("value")],
        [
            [_("Applications submitted"), a["applications"]],
            [_("Enrolment decisions"), a["decided"]],
            [_("approved"), a["approved"]],
            [_("refused"), a["refused"]],
            [_("Days from application to decision, mean"), a["days_mean"]],
            [_("Days from application to decision, median"), a["days_median"]],
            [_("Visits done"), q["done"]],
            [_("Visits missed"), q["missed"]],
            [_("Visits cancelled"), q["cancelled"]],
            [_("Planned visits done, %"), q["done_share"]],
            [_("Child-weeks meeting 2 home + 3 centre visits, %"), q["weeks_share"]],
            [_("Providers meeting every staffing norm"), q["providers_compliant"]],
            [_("Answers of legal representatives"), sat["responses"]],
            *[[row["question"], row["mean"]] for row in sat["questions"]],
            [_("Child-months billed"), eff["child_months"]],
            [_("Cost per child per month, ₸"), eff["cost_per_child_month"]],
            [_("Cost per service day (per-capita component), ₸"), eff["cost_per_service_day"]],
            [_("Budget execution: paid against the plan by payments, %"), eff["execution"]],
        ]
        + [[]]
        + [[_("District"), _("children enrolled (last day)"), _("children served")]]
        + [[row["district"], row["enrolled"], row["served"]] for row in a["coverage"]],
    )
    sheet(
        _("By month"),
        [
            _("Month"),
            _("children"),
            _("service days"),
            _("plan by payments, ₸"),
            _("approved, ₸"),
            _("paid, ₸"),
            _("child-weeks meeting the minimum, %"),
            _("findings"),
        ],
        [
            [
                row["month"],
                row["children"],
                row["service_days"],
                row["plan_payments"],
                row["approved"],
                row["paid"],
                row["weeks_share"],
                row["findings"],
            ]
            for row in figures["monthly"]
        ],
    )
    if report.kind == ReportKind.PILOT:
        sheet(_("Proposals"), [_("Proposals for legislation (Alg. §28)")], [[report.proposals]])
    # What the markers mean, as the PDF says under its title and its staff tables.
    sheet(
        _("Notes"),
        [_("Notes")],
        [
            [
                _(
                    "Counts of fewer than 5 children are shown as “< 5”; “×” is a hidden count "
                    "of any size (0 and counts under 5 included), hidden so that no count under "
                    "5 can be worked out. No personal data is contained in this report."
                )
            ],
            [
                _(
                    "“×”: the care worker's norm of a provider with fewer than 5 children, and "
                    "the totals it enters, are not shown, since they would tell the children's "
                    "diagnoses."
                )
            ],
        ],
    )
    return book.save()
