"""Imports raced and cut on PostgreSQL (issue 13, "Concurrency" and "Held"): a second import
started meanwhile waits for the first and finds its work done; an import whose connection is
cut exits 1, leaves nothing written, and runs again to the same result."""

import pytest

from exchange.service import dataset_import
from tests.core.test_import_dataset import counts, file_rows
from tests.racing import cut, manage, postgresql_only, race, tables_locked, waiting_for_locks

pytestmark = [pytest.mark.django_db(transaction=True), postgresql_only]


def test_two_first_imports_of_a_dataset_at_once_write_it_once(sample):
    # Both come to write the providers together: the table is held until both wait.
    with tables_locked("providers_provider"):
        racers = race(
            lambda: dataset_import(directory=sample), lambda: dataset_import(directory=sample)
        )
        waiting_for_locks(2)
    first, second = (racer.outcome() for racer in racers)

    assert first.ok and first.written and second.ok and second.written
    created = [report for report in (first, second) if any(f.created for f in report.files)]
    assert len(created) == 1  # the other waited, then found every row as the first wrote it
    (waited,) = [report for report in (first, second) if report is not created[0]]
    assert all(
        (summary.created, summary.updated, summary.unchanged) == (0, 0, summary.rows)
        for summary in waited.files
    )
    assert counts()["children"] == file_rows(sample, "children")
    assert counts()["visits"] == file_rows(sample, "visits")


def test_an_import_whose_connection_is_cut_exits_1_writes_nothing_and_runs_again(sample):
    # Held at the visits, written last: providers, children and the rest are written by then.
    with tables_locked("services_visit"):
        process = manage("import_dataset", str(sample))
        (pid,) = waiting_for_locks(1)
        cut(pid)
    _out, err = process.communicate(timeout=300)

    assert process.returncode == 1, err
    assert set(counts().values()) == {0}

    report = dataset_import(directory=sample)
    assert report.ok and report.written
    assert all(
        (summary.created, summary.updated, summary.unchanged) == (summary.rows, 0, 0)
        for summary in report.files
        if summary.name != "enrollments"  # an enrolment's application is created with it
    )
    assert counts()["visits"] == file_rows(sample, "visits")
