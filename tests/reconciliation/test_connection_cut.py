"""Held, kept as a regression test (issue 13): the database connection of a reconciliation cut
(`pg_terminate_backend`) in the middle of the run — the process exits 1, nothing of what it was
storing is written, the run is marked failed, and run again it ends with the findings of a
clean run. PostgreSQL only (the run is a separate process whose connection is cut)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.db import connection, transaction

from reconciliation import services
from reconciliation.checks import CHECKS, Period
from reconciliation.models import Finding, ReconciliationRun, RunStatus
from tests.reconciliation import test_reconciliation

prepared = test_reconciliation.prepared  # the fixture, used here too
JULY = test_reconciliation.JULY

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL: a connection cut from another session",
    ),
    pytest.mark.django_db(transaction=True),
]


def _blocked_backend(process: subprocess.Popen[bytes], timeout: float = 60) -> int:
    """The pid of the run's session, waiting for the findings table we hold locked."""
    began = time.monotonic()
    with connection.cursor() as cursor:
        while time.monotonic() - began < timeout:
            if process.poll() is not None:
                raise AssertionError(process.communicate()[0].decode())
            # pg_stat_activity is read once per transaction unless its snapshot is cleared
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
            )
            row = cursor.fetchone()
            if row:
                return int(row[0])
            time.sleep(0.2)
        cursor.execute(
            "SELECT pid, state, wait_event_type, wait_event, left(query, 120) FROM pg_stat_activity"
            " WHERE datname = current_database()"
        )
        activity = cursor.fetchall()
    raise AssertionError(f"the run never reached the findings: {activity}")


def test_a_run_whose_connection_is_cut_exits_1_writes_nothing_and_is_run_again_whole(prepared):
    clean = {found.key for check in CHECKS for found in check.run(Period(*JULY))}
    run = ReconciliationRun.objects.create(period_start=JULY[0], period_end=JULY[1])
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "pilot.settings.local",
        "DEBUG": "0",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
    }
    code = f"from reconciliation.services import run_reconciliation; run_reconciliation(run_id={run.pk})"
    with transaction.atomic():
        # Given the run is held at its first write of findings
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE reconciliation_finding IN SHARE ROW EXCLUSIVE MODE")
        process = subprocess.Popen(  # noqa: S603  # our own command line
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        # When its connection is cut
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [_blocked_backend(process)])
    output = process.communicate(timeout=120)[0].decode()

    # Then it exits 1, and nothing it was storing is written
    assert process.returncode == 1, output
    assert "terminat" in output.lower() or "closed" in output.lower(), output
    assert not Finding.objects.exists()
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and run.error  # it says why, and holds no period

    # And run again, it ends with a clean run's findings
    again = services.run_start(period_start=JULY[0], period_end=JULY[1])
    again.refresh_from_db()  # tasks run in the process once the start commits
    assert again.status == RunStatus.DONE
    assert set(Finding.objects.values_list("key", flat=True)) == clean
    assert again.found == len(clean) and (again.updated, again.resolved) == (0, 0)
