"""Real connections racing or cut, for the PostgreSQL pass (the CI's second pass).

A test holds a table lock from its own connection so that the work under test reaches a known
point and waits there; it then lets the work go on together (a race), or cuts the waiting
connection with `pg_terminate_backend` (a connection lost mid-transaction).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.db import connection, connections, transaction

ROOT = Path(__file__).resolve().parents[1]

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite lets one transaction write at a time and has no backends "
    "to cut (the CI's second pass runs these)",
)


@contextmanager
def tables_locked(*tables: str) -> Iterator[None]:
    """Hold an EXCLUSIVE lock on the tables until the block ends: reads go on, every write to
    them (and SELECT … FOR UPDATE) waits."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {', '.join(tables)} IN EXCLUSIVE MODE")
        yield


def waiting_for_locks(count: int, *, timeout: float = 120) -> list[int]:
    """Wait until `count` other connections to the test database wait for a lock; their
    backends' pids, the first to connect first."""
    deadline = time.monotonic() + timeout
    while True:
        with connection.cursor() as cursor:
            # Inside a transaction the activity view is read once and kept: read it afresh.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock' ORDER BY backend_start"
            )
            pids = [row[0] for row in cursor.fetchall()]
        if len(pids) >= count:
            return pids
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(pids)} of {count} connections came to wait for a lock")
        time.sleep(0.05)


def cut(pid: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])


class Racer(threading.Thread):
    """A call in a thread of its own (so on a connection of its own); its result or error."""

    def __init__(self, call: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.call = call
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.call()
        except BaseException as error:  # handed to the test to assert on
            self.error = error
        finally:
            connections.close_all()

    def outcome(self, timeout: float = 300) -> Any:
        self.join(timeout)
        assert not self.is_alive(), "still running"
        if self.error is not None:
            raise self.error
        return self.result


def race(*calls: Callable[[], Any]) -> list[Racer]:
    racers = [Racer(call) for call in calls]
    for racer in racers:
        racer.start()
    return racers


def manage(*args: str) -> subprocess.Popen[str]:
    """`manage.py` in a process of its own, on the test database."""
    db = connection.settings_dict
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    url = (
        f"postgres://{user}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "pilot.settings.test"}
    return subprocess.Popen(  # noqa: S603 — our own manage.py, fixed arguments
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
