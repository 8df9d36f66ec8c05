"""Demo reports: the H1 2026 report (the pilot's first weeks) made final, delivered and
published on time, the running half-year's draft, and the families' questionnaire answers."""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.conf import settings
from django.utils import timezone

from core.models import User
from reports import services
from reports.figures import is_neutral
from reports.models import (
    Channel,
    ReportStatus,
    ReportVersion,
    SurveyInvitation,
    SurveyResponse,
    VersionStatus,
)
from reports.periods import PILOT_START, half_of, half_year_bounds, half_years
from reports.services import survey_invitations, survey_response_submit


def _at(day: datetime.date, hour: int = 11) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


def load_survey(*, today: datetime.date, officer: User) -> int:
    """Links for every enrolment of the running half-year; a little over half of the families
    answered, most by the link, some on paper entered by the officer. Idempotent."""

    year, half = half_of(today)
    survey_invitations(year=year, half=half)
    if SurveyResponse.objects.filter(year=year, half=half).exists():
        return 0
    rng = random.Random(f"survey-{year}-{half}")
    answered = 0
    invitations = (
        SurveyInvitation.objects.filter(year=year, half=half, response__isnull=True)
        .select_related("enrollment")
        .order_by("pk")
    )
    for invitation in invitations:
        if rng.random() > 0.55:
            continue
        mood = rng.choice([5, 5, 4, 4, 4, 3])
        scores = {
            q: max(1, min(5, mood + rng.choice([-1, 0, 0, 1]))) for q in SurveyResponse.QUESTIONS
        }
        paper = rng.random() < 0.2
        survey_response_submit(
            invitation=invitation,
            answers=scores,
            channel=Channel.STAFF if paper else Channel.FAMILY,
            acting_user=officer if paper else None,
        )
        answered += 1
    return answered


def _generate(report: Any, generated: datetime.datetime, **fields: Any) -> None:
    """A version made as if on the day `generated` (the job run here, not queued)."""

    number = max((v.number for v in report.versions.all()), default=0) + 1
    version = ReportVersion.objects.create(report=report, number=number, **fields)
    services.run_version(version.pk, generated_at=generated)
    ReportVersion.objects.filter(pk=version.pk).update(created_at=generated)


def load_reports(*, today: datetime.date, officer: User) -> int:
    """Every half-year of the pilot so far: a finished one final, delivered on the 20th day and
    published on time; the running one a draft with data up to the end of last month. Idempotent."""

    made = 0
    for year, half in half_years(PILOT_START, today):
        end = half_year_bounds(year, half)[1]
        report = services.report_for_half(year=year, half=half)
        finished = end < today
        until = services.data_until(report, today)
        if until < report.period_start:
            continue  # no month of the running half-year has ended yet
        if not report.versions.filter(status=VersionStatus.DONE).exists():
            generated = _at(end + datetime.timedelta(days=2)) if finished else timezone.now()
            _generate(
                report,
                generated,
                language=settings.LANGUAGE_CODE,
                data_until=until,
                requested_by=officer,
            )
            made += 1
        if finished and report.status == ReportStatus.DRAFT:
            services.report_finalise(report=report, acting_user=officer)
            assert report.final_due is not None and report.delivery_due is not None
            report.finalised_at = _at(report.final_due - datetime.timedelta(days=1))
            report.save(update_fields=["finalised_at"])
            if today > report.delivery_due:
                services.report_deliver(report=report, acting_user=officer, on=report.delivery_due)
            if report.publication_due and today > report.publication_due:
                services.report_publish(
                    report=report,
                    acting_user=officer,
                    on=report.publication_due - datetime.timedelta(days=1),
                    url="https://www.gov.kz/memleket/entities/enbek",
                )
        final = report.final_version
        if (
            final is not None
            and is_neutral(final.figures)  # a demo database made before translations: skip
            and not final.translations.exclude(status=VersionStatus.FAILED)
            .filter(language="kk")
            .exists()
        ):
            # the final report in the state language too: its figures printed in Kazakh
            assert report.final_due is not None
            generated = _at(report.final_due - datetime.timedelta(days=1), hour=15)
            _generate(
                report,
                generated,
                language="kk",
                data_until=final.data_until,
                translation_of=final,
                requested_by=officer,
            )
            made += 1
    return made
