"""The differencing test's reader over the demo's dashboard (every period × the city and each
provider): every "< 5" and hidden count under 5 must stay unknown.

    DATABASE_URL=sqlite:////tmp/probe/db.sqlite3 python manage.py shell < tests/reports/audit_demo.py

Run against a database with the demo loaded (`manage.py load_demo`); it reads and changes
nothing but the cache. Prints the cells, markers and relations seen, and every problem found.
"""

from unittest import mock

from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.test.utils import setup_test_environment

from core.models import User
from providers.models import Provider
from reports import suppression
from tests.reports import test_differencing as t

setup_test_environment()
settings.ALLOWED_HOSTS = ["*"]
names = {p.name: p.pk for p in Provider.objects.all()}
client = Client()
client.force_login(User.objects.get(username="analyst"))


def collect(truth=None):
    seen = t.Seen(names)
    for provider, figures in t.views(client):
        seen.view(provider, figures)
    seen.across(truth)
    return seen


cache.clear()
with mock.patch.object(suppression, "THRESHOLD", 1):
    raw = collect()
truth = {key: next(iter(cells)) for key, cells in raw.cells.items()}
cache.clear()
seen = collect(truth)
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
