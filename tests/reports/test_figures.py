"""The monitoring report's sections (R261 §10) and the evaluation (Alg. §27), computed on the
prepared half-year of conftest.py and compared with figures worked out by hand there."""

import datetime

import pytest

from recipients.models import DiagnosisGroup
from reports import suppression
from reports.figures import compute
from reports.figures.base import _weeks_share
from reports.suppression import HIDDEN
from tests.factories import admitted_provider, enrolled_child
from tests.reports.conftest import UNTIL, D

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_suppression(monkeypatch):
    """The raw counts: suppression is tested on its own below."""
    monkeypatch.setattr(suppression, "THRESHOLD", 1)


@pytest.fixture
def figures(half_year, no_suppression):
    return compute(D(2026, 7, 1), D(2026, 12, 31), until=UNTIL)


def by(rows, key, value):
    return next(row for row in rows if row[key] == value)


def test_recipients(figures):
    r = figures["recipients"]
    # c1 both settings, c2 home only, c3 centre only; c4 was never served.
    assert (r["total"], r["home"], r["centre"], r["both"]) == (3, 1, 1, 1)
    assert (r["girls"], r["boys"]) == (1, 2)
    assert (r["new"], r["ended"]) == (4, 1)
    a = by(r["by_provider"], "provider", "Центр А")
    assert (a["total"], a["home"], a["centre"], a["both"], a["girls"], a["boys"]) == (
        2,
        1,
        0,
        1,
        1,
        1,
    )
    assert (a["new"], a["ended"]) == (2, 0)
    b = by(r["by_provider"], "provider", "Центр Б")
    assert (b["total"], b["centre"], b["new"], b["ended"]) == (1, 1, 2, 1)
    districts = {row["label"]: row["total"] for row in r["by_district"]}
    assert districts == {"Almaty": 2, "Baikonur": 0, "Yesil": 1, "Saryarka": 0, "Nura": 0}
    ages = {row["label"]: row["total"] for row in r["by_age"]}
    # Ages on the first service day: 11 (c1), 3 (c2, born 10.08.2022, served 06.07.2026), 16.
    assert ages == {"0–3": 1, "4–6": 0, "7–10": 0, "11–14": 1, "15–17": 1, "18+": 0}


def test_key_staff_against_the_norms(figures):
    s = figures["staff"]
    assert s["on"] == "2026-09-30"
    a = by(s["by_provider"], "provider", "Центр А")
    assert a["headcount"] == 2  # the psychologist left on 31.08
    assert a["fte"] == "1.5"
    lines = {line["position"]: line for line in a["positions"]}
    speech = lines["Speech therapist"]
    assert (speech["headcount"], speech["fte"], speech["required"], speech["shortfall"]) == (
        1,
        "0.5",
        "1",
        "0.5",
    )
    psychologist = lines["Psychologist"]
    assert (psychologist["headcount"], psychologist["required"], psychologist["shortfall"]) == (
        0,
        "1",
        "1",
    )
    assert lines["Director / head"]["shortfall"] == "0"
    b = by(s["by_provider"], "provider", "Центр Б")
    assert (b["children"], b["headcount"]) == (2, 0)
    assert (s["providers"], s["providers_compliant"], s["headcount"]) == (2, 0, 2)


def test_budget_allocated_and_spent(figures, half_year):
    b = figures["budget"]
    total = half_year["total"]
    assert total == 4 * 4997 + 13000 + 5000 - 1000 == 36988
    assert b["allocated"] == 1_000_000
    assert (b["plan_obligations"], b["plan_payments"]) == (120_000, 100_000)
    assert (b["approved"], b["paid"]) == (total, total)
    months = {row["month"]: row for row in b["by_month"]}
    assert list(months) == ["2026-07", "2026-08", "2026-09"]
    assert months["2026-07"]["approved"] == total and months["2026-07"]["paid"] == 0
    assert months["2026-08"]["paid"] == total
    assert [(row["code"], row["name"], row["paid"]) for row in b["by_code"]] == [
        ("159", "Other services and works", total)
    ]
    assert b["by_code"][0]["names"]["kk"] == "Басқа да қызметтер мен жұмыстарға ақы төлеу"
    assert b["by_provider"] == [
        {
            "provider": "Центр А",
            "base_monthly": 0,
            "service_days": 5,
            "approved": total,
            "paid": total,
        }
    ]


def test_kinds_of_service(figures):
    v = figures["services"]
    # A: home days c1 06.07, 08.07, 14.07 and c2 06.07, 13.07; centre c1 07.07. B: c3 07.07 once.
    assert (v["home_days"], v["centre_days"]) == (5, 2)
    kinds = v["kinds"]
    a = by(v["by_provider"], "provider", "Центр А")
    assert (a["home_days"], a["centre_days"]) == (5, 1)
    assert a["kinds"][kinds.index("Social-pedagogical")] == 5
    assert a["kinds"][kinds.index("Social-medical")] == 2
    b = by(v["by_provider"], "provider", "Центр Б")
    assert (b["home_days"], b["centre_days"], sum(b["kinds"])) == (0, 1, 2)
    given = {row["code"]: row["given"] for row in v["catalogue"]}
    assert given == {"pedagogical.aba": 7, "medical.massage": 2}


def test_double_financing_control(figures):
    c = figures["control"]
    kinds = {row["kind"]: row for row in c["findings"]}
    assert set(kinds) == {"Registry: in hospital", "A week below the minimum frequency"}
    assert kinds["A week below the minimum frequency"]["statuses"] == [0, 1, 0, 0]
    assert c["withheld"] == [
        {
            "reason": "Inpatient hospital stay (health registry)",
            "children": 1,
            "service_days": 1,
            "amount": 4997,
        }
    ]
    assert (c["withheld_amount"], c["withheld_days"]) == (4997, 1)


def test_evaluation(figures):
    e = figures["evaluation"]
    a = e["accessibility"]
    assert (a["applications"], a["decided"], a["approved"], a["refused"]) == (0, 1, 1, 0)
    assert a["days_mean"] is None  # fewer than 5 decisions: no average of so few
    coverage = {row["district"]: (row["enrolled"], row["served"]) for row in a["coverage"]}
    assert coverage["Almaty"] == (2, 2) and coverage["Yesil"] == (1, 1)
    assert coverage["Nura"] == (1, 0)
    q = e["quality"]
    assert (q["done"], q["missed"], q["cancelled"], q["not_logged"]) == (8, 1, 1, 0)
    assert q["done_share"] == "88.9"
    # 12 whole weeks (06.07–27.09) for c1, c2, c3 and 8 (03.08–27.09) for c4; none met 2 + 3.
    # The counts are not published, only the share in whole percent.
    assert q["weeks_share"] == "0" and "child_weeks" not in q and "weeks_meeting" not in q
    eff = e["effectiveness"]
    assert eff["child_months"] == 2
    assert eff["per_capita_amount"] == 32988
    assert eff["cost_per_child_month"] == 18494  # 36 988 / 2
    assert eff["cost_per_service_day"] == 6598  # 32 988 / 5, rounded half up
    assert eff["execution"] == "37.0"
    assert eff["execution_of_allocation"] == "3.7"


def test_month_by_month(figures):
    months = {row["month"]: row for row in figures["monthly"]}
    assert months["2026-07"]["children"] == 3
    assert months["2026-07"]["service_days"] == 7
    assert months["2026-08"]["paid"] == 36988
    assert months["2026-09"]["children"] == 0


def test_one_provider_only(half_year, no_suppression):
    figures = compute(D(2026, 7, 1), D(2026, 12, 31), until=UNTIL, provider_id=half_year["b"].pk)
    assert figures["recipients"]["total"] == 1
    assert figures["budget"]["paid"] == 0
    assert figures["budget"]["allocated"] is None  # the city's allocation is not a provider's
    assert [row["provider"] for row in figures["services"]["by_provider"]] == ["Центр Б"]


def test_satisfaction_averages_from_five_answers_of_a_closed_half_year(five_answers):
    whole = compute(D(2026, 7, 1), D(2026, 12, 31), until=D(2026, 12, 31))
    s = whole["evaluation"]["satisfaction"]
    assert (s["responses"], s["half_years"]) == (5, ["H2 2026"])
    means = {row["question"]: row["mean"] for row in s["questions"]}
    assert means["Overall satisfaction"] == "4.00"
    assert means["Home and centre visits fit together well"] == "3.00"
    # While the half-year runs (a draft) nothing is published: a later version would differ
    # from it by the answers given in between, one family's perhaps.
    draft = compute(D(2026, 7, 1), D(2026, 12, 31), until=D(2026, 11, 30))
    assert draft["evaluation"]["satisfaction"]["responses"] == 0
    assert all(row["mean"] is None for row in draft["evaluation"]["satisfaction"]["questions"])
    # One provider's averages are never published (the city's minus them would tell the rest).
    one = compute(
        D(2026, 7, 1), D(2026, 12, 31), until=D(2026, 12, 31), provider_id=five_answers["a"].pk
    )
    assert one["evaluation"]["satisfaction"]["responses"] is None


def test_an_answer_after_the_half_year_closes_changes_nothing_published(five_answers):
    from django.utils import timezone

    from reports.models import SurveyInvitation, SurveyResponse
    from tests.factories import enrolled_child

    before = compute(D(2026, 7, 1), D(2026, 12, 31), until=D(2026, 12, 31))
    late = SurveyResponse.objects.create(  # straight: the service takes no late answer
        invitation=SurveyInvitation.objects.create(
            enrollment=enrolled_child(five_answers["a"]), year=2026, half=2
        ),
        provider=five_answers["a"],
        year=2026,
        half=2,
        convenience=1,
        specialists=1,
        coordination=1,
        progress=1,
        overall=1,
        channel="staff",
    )
    SurveyResponse.objects.filter(pk=late.pk).update(
        submitted_at=timezone.make_aware(datetime.datetime(2027, 1, 3, 9))
    )
    after = compute(D(2026, 7, 1), D(2026, 12, 31), until=D(2026, 12, 31))
    assert after["evaluation"]["satisfaction"] == before["evaluation"]["satisfaction"]
    # The pilot's report counts the same closed half-years: no difference to exploit either.
    pilot = compute(D(2026, 6, 5), D(2027, 1, 31), until=D(2027, 1, 31))
    assert pilot["evaluation"]["satisfaction"]["responses"] == 5


def test_one_provider_is_not_set_against_the_citys_plan(half_year, no_suppression):
    one = compute(D(2026, 7, 1), D(2026, 12, 31), until=UNTIL, provider_id=half_year["a"].pk)
    assert (one["budget"]["plan_payments"], one["budget"]["allocated"]) == (None, None)
    assert {row["plan_payments"] for row in one["budget"]["by_month"]} == {None}
    assert one["evaluation"]["effectiveness"]["execution"] is None
    assert one["budget"]["paid"] == 36988


def test_draft_invoices_withhold_nothing_yet(half_year, no_suppression):
    from tariffs.models import Invoice, InvoiceExclusion

    draft = Invoice.objects.create(
        provider=half_year["b"], month=D(2026, 8, 1), computed_at=half_year["invoice"].computed_at
    )
    visit = half_year["invoice"].exclusions.first().visit
    InvoiceExclusion.objects.create(
        invoice=draft,
        visit=visit,
        visit_id_text="x",
        child_iin="000000000000",
        date=D(2026, 8, 3),
        setting="home",
        reason="SANATORIUM",
    )
    figures = compute(D(2026, 7, 1), D(2026, 12, 31), until=UNTIL)
    assert [row["reason"] for row in figures["control"]["withheld"]] == [
        "Inpatient hospital stay (health registry)"
    ]


def test_adjustments_after_approval_count_as_withheld(half_year, no_suppression):
    from tariffs.models import Invoice, InvoiceAdjustment

    july = half_year["invoice"]
    august = Invoice.objects.create(
        provider=july.provider,
        month=D(2026, 8, 1),
        status="approved",
        computed_at=july.computed_at,
        checked_by=july.checked_by,
        checked_at=july.checked_at,
        approved_by=july.approved_by,
        approved_at=july.approved_at,
        base_kzt=0,
        adjustments_kzt=-13000,
    )
    InvoiceAdjustment.objects.create(
        invoice=august,
        corrects=july,
        amount_kzt=-13000,
        reason="Sanatorium found later",
        created_by=july.approved_by,
    )
    control = compute(D(2026, 7, 1), D(2026, 12, 31), until=UNTIL)["control"]
    assert control["withheld_amount"] == 4997 + 13000
    assert control["withheld"][-1]["amount"] == 13000


def test_the_care_workers_norm_of_a_few_children_is_not_published(half_year):
    staff = compute(D(2026, 7, 1), D(2026, 12, 31), until=UNTIL)["staff"]
    a = by(staff["by_provider"], "provider", "Центр А")
    care = by(a["positions"], "position", "Care social worker")
    assert (care["required"], care["shortfall"], a["required"]) == (None, None, None)
    assert staff["required"] is None


def test_small_cells_are_suppressed(half_year):
    figures = compute(D(2026, 7, 1), D(2026, 12, 31), until=UNTIL)
    r = figures["recipients"]
    assert r["total"] == "< 5"
    a = by(r["by_provider"], "provider", "Центр А")
    assert (a["total"], a["home"], a["centre"], a["both"]) == ("< 5", "< 5", 0, "< 5")
    assert {row["children"] for row in figures["control"]["withheld"]} == {"< 5"}
    assert by(figures["control"]["findings"], "kind", "Registry: in hospital")["total"] == "< 5"
    # Service days bound the children they serve (each has one at least, and a day of one
    # setting at most a day): beside fewer than 5 children they are hidden. The tenge tell
    # the days billed (the tariffs are published: 36 988 ₸ less the base component and the
    # adjustment is 4 home days and 1 centre day), so they are hidden too.
    assert figures["budget"]["paid"] == "×"
    assert figures["budget"]["approved"] == "×"
    assert figures["evaluation"]["effectiveness"]["per_capita_amount"] == "×"
    assert figures["services"]["home_days"] == "×"
    assert figures["services"]["days"] == "×"


def test_no_hidden_count_can_be_worked_out_from_a_published_total(half_year):
    """Eight more children of 7–10 served by A: the total is published, so each breakdown
    and each column with one "< 5" hides a second cell."""
    from tests.factories import VisitFactory, enrolled_child

    for _ in range(8):
        VisitFactory(
            enrollment=enrolled_child(half_year["a"], birth_date=D(2018, 1, 1), sex="M"),
            date=D(2026, 7, 15),
        )
    r = compute(D(2026, 7, 1), D(2026, 12, 31), until=UNTIL)["recipients"]
    # B's one child stands in every breakdown: 11 − A's 10 would tell it, so one of the two
    # totals is hidden too.
    assert suppression.is_suppressed(r["total"]) or suppression.is_suppressed(
        r["by_provider"][0]["total"]
    )

    def lines():
        yield r["total"], [r["home"], r["centre"], r["both"]]
        yield r["total"], [r["girls"], r["boys"]]
        yield r["total"], [row["total"] for row in r["by_age"]]
        yield r["total"], [row["total"] for row in r["by_district"]]
        for key in ("total", "home", "centre", "both", "girls", "boys", "new", "ended"):
            yield r[key], [row[key] for row in r["by_provider"]]
        for row in r["by_provider"]:
            yield row["total"], [row["home"], row["centre"], row["both"]]
            yield row["total"], [row["girls"], row["boys"]]
        for row in r["by_age"] + r["by_district"]:
            yield row["total"], [row["girls"], row["boys"]]

    for total, cells in lines():
        if suppression.is_suppressed(total):
            continue
        assert sum(suppression.is_suppressed(cell) for cell in cells) != 1, (total, cells)
    ages = {row["label"]: row["total"] for row in r["by_age"]}
    assert ages["7–10"] == "×"  # hidden beside the three groups of one child each
    assert ages["0–3"] == ages["11–14"] == ages["15–17"] == "< 5"


def test_refusals_cannot_be_worked_out_from_decisions():
    assert suppression.small_row([20, 2], 22) == ["×", "< 5"]


@pytest.mark.parametrize(
    ("counts", "total", "expected"),
    [
        ([10, 3, 0], 13, ["×", "< 5", 0]),  # 3 could be worked out from 13 − 10
        ([10, 3, 7], 20, ["×", "< 5", 7]),  # the smallest other cell is hidden
        ([2, 2], 4, ["< 5", "< 5"]),
        ([0, 12], 12, [0, 12]),
        ([6, 7], 13, [6, 7]),
    ],
)
def test_complementary_suppression(counts, total, expected):
    if expected == ["×", "< 5", 7]:
        expected = [10, "< 5", "×"]
    assert suppression.small_row(counts, total) == expected


@pytest.mark.parametrize("language", ["ru", "kk", "en"])
def test_stored_figures_print_as_if_counted_in_the_language(five_answers, language):
    """A version stores its figures with labels in their source text; localised, they are
    exactly what counting in the language gives — every label, the catalogue's and the
    expense codes' names, the questions — so a translation prints what a version counted in
    that language would."""
    from django.utils import translation

    from reports.figures import is_neutral, localise, neutral

    stored = neutral(D(2026, 7, 1), D(2026, 12, 31))
    assert is_neutral(stored)
    kinds = {row["kind"] for row in stored["control"]["findings"]}
    assert "A week below the minimum frequency" in kinds  # the source text, in no language
    with translation.override(language):
        counted = compute(D(2026, 7, 1), D(2026, 12, 31))
    printed = localise(stored, language)
    printed.pop("labels")
    assert printed == counted
    assert counted["evaluation"]["satisfaction"]["questions"][0]["mean"] is not None
    assert counted["budget"]["by_code"] and counted["services"]["catalogue"]


def test_weeks_share_is_withheld_beside_a_few_weeks():
    """A share of child-weeks is published only where the weeks meeting the minimum and those
    short of it are each 0 or 5 and more: 3 of 44 would say three weeks of a child or two."""
    assert [_weeks_share(m, w) for m, w in [(0, 44), (3, 44), (40, 44), (20, 40), (0, 0)]] == [
        "0",
        HIDDEN,
        HIDDEN,
        "50",
        None,
    ]


def test_the_norms_are_shown_only_beside_a_published_count_of_children(db):
    """The units a norm requires follow the children enrolled (a speech therapist for each 130
    or part): beside "< 5" they would say so, and beside a number they tell no more than it.
    Of 7 children with 2 of them in the care worker's groups, the care worker's line and the
    provider's totals are withheld; the rest are shown."""
    few = admitted_provider(name="Центр малый")
    many = admitted_provider(name="Центр большой")
    for _ in range(3):
        enrolled_child(few)
    complement = admitted_provider(name="Центр средний")  # the "< 5"'s complement: hidden
    for _ in range(5):
        enrolled_child(complement)
    for i in range(7):
        group = DiagnosisGroup.PSYCHONEUROLOGICAL if i < 2 else DiagnosisGroup.OTHER
        enrolled_child(many, diagnosis_group=group)
    staff = compute(D(2026, 7, 1), D(2026, 12, 31), until=UNTIL)["staff"]
    small_one = by(staff["by_provider"], "provider", "Центр малый")
    assert small_one["children"] == "< 5"
    assert small_one["positions"] and all(
        (line["required"], line["shortfall"]) == (None, None) for line in small_one["positions"]
    )
    large = by(staff["by_provider"], "provider", "Центр большой")
    assert large["children"] == 7
    lines = {line["position"]: line for line in large["positions"]}
    assert (lines["Care social worker"]["required"], large["required"]) == (None, None)
    assert lines["Speech therapist"]["required"] == "1"
    assert staff["required"] is None
