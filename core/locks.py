"""Named locks held until the end of the transaction: work that must not run twice at once
(importing a dataset, billing a month) waits for the other to finish, then finds it done.

One place takes them, so the order is fixed: a service takes its one named lock first, before
it reads what it will write over.
"""

from __future__ import annotations

import hashlib

from django.db import connection


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for the name (PostgreSQL's advisory locks take a bigint)."""
    return int.from_bytes(
        hashlib.blake2b(name.encode(), digest_size=8).digest(), "big", signed=True
    )


def hold(name: str) -> None:
    """Wait for the lock called `name`, then hold it until the current transaction ends.

    PostgreSQL: a transaction-level advisory lock, released by the commit or the rollback (and
    by a connection that is cut). SQLite lets one transaction write at a time anyway, so there
    is nothing to take. Called outside a transaction it would be released at once: refused.
    """
    if not connection.in_atomic_block:
        raise RuntimeError(f"the lock {name!r} is held by a transaction: call it inside one")
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_key(name)])
