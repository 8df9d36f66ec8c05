"""The differencing test's reader over the demo's dashboard (every period × the city and each
provider): every "< 5" and hidden count under 5 must stay unknown.

    DATABASE_URL=sqlite:////tmp/probe/db.sqlite3 python manage.py shell < tests/reports/audit_demo.py

It reads the dashboard as it was on the 1st of every month of the pilot and today (about five
minutes on the demo); AUDIT_TODAY_ONLY=1 reads today's only.

Run against a database with the demo loaded (`manage.py load_demo`); it reads and changes
nothing but the cache (the months' releases it writes are rolled back). Prints the cells, markers and relations seen, and every problem found.
"""

import datetime
import os
from unittest import mock

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.test.utils import setup_test_environment
from django.utils import timezone

from core.models import User
from providers.models import Provider
from reports import suppression
from reports.periods import releases
from tests.reports import test_differencing as t

ONLY_TODAY = bool(os.environ.get("AUDIT_TODAY_ONLY"))  # quicker: today's pages only
setup_test_environment()
settings.ALLOWED_HOSTS = ["*"]
names = {p.name: p.pk for p in Provider.objects.all()}
client = Client()
client.force_login(User.objects.get(username="analyst"))


# The dashboard as it was on the 1st of every month of the pilot (each counts up to the end
# of the month before), and today: an analyst may have saved every one of them.
today = timezone.localdate()
days = [day + datetime.timedelta(days=1) for day in releases(today)]
if ONLY_TODAY:
    days = [today]


def collect(truth=None):
    seen = t.Seen(names)
    for day in days:
        with mock.patch.object(timezone, "localdate", lambda *a, day=day: day):
            for provider, figures in t.views(client):
                seen.view(provider, figures)
    seen.across(truth)
    seen.nested(truth)
    return seen


# Nothing it publishes is kept: the months' releases it writes are rolled back.
with transaction.atomic():
    t.fresh()
    with mock.patch.object(suppression, "THRESHOLD", 1):
        raw = collect()
    truth = t.billing_truth()[2]
    truth.update(
        {key: next(iter(cells)) for key, cells in raw.cells.items() if cells and key[0] != "inc"}
    )
    t.fresh()
    seen = collect(truth)
    transaction.set_rollback(True)
cache.clear()
problems = t.audit(seen, truth)
print(
    "cells",
    len(seen.cells),
    "'< 5'",
    sum(1 for cells in seen.cells.values() if t.LT5 in cells),
    "'×'",
    sum(1 for cells in seen.cells.values() if cells == {t.X}),
    "relations",
    len(seen.relations),
    "problems",
    len(problems),
)
for problem in problems:
    print(problem)
