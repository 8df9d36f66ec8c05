import shutil

import pytest
from django.utils import translation

from tests.exchange_files import SAMPLE


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Every test stores uploads in its own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def real_celery_worker():
    """A real Celery worker (solo pool, in a thread) consuming from Redis; tasks are not eager."""
    from celery.contrib.testing.worker import start_worker

    from pilot.celery import app

    app.conf.task_always_eager = False
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=30):
            yield app
    finally:
        app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def _empty_cache():
    """What one test cached (the dashboard's figures) never answers another."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _content_types_after_a_flush(request):
    """A transactional test starts after a flush: content types were recreated with new ids,
    and Django's cache of them (cleared on another manager by the flush's post_migrate) would
    hand out the old ones. Non-transactional tests keep the cache (their query counts are pinned).
    """
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or (
        marker is not None and marker.kwargs.get("transaction", False)
    )
    if transactional:
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()
        request.getfixturevalue("_data_of_migrations")
    yield


@pytest.fixture
def _data_of_migrations(transactional_db):
    """A flush also empties what data migrations wrote: the role groups, the catalogue, the
    staffing norms and the expense codes."""
    import importlib

    from django.apps import apps

    from core.roles_permissions import sync_role_groups
    from services.models import CatalogueService

    sync_role_groups(apps)
    if not CatalogueService.objects.exists():
        catalogue = importlib.import_module("services.migrations.0003_service_catalogue")
        catalogue.load(apps, None)
    from budget.models import ExpenseCode
    from providers.models import StaffingNorm

    if not StaffingNorm.objects.exists():
        importlib.import_module("providers.migrations.0002_staffing_norms").load(apps, None)
    if not ExpenseCode.objects.exists():
        importlib.import_module("budget.migrations.0002_expense_codes").seed(apps, None)


@pytest.fixture
def sample():
    """The sample dataset (read only); skipped where ../shared is not beside the checkout."""
    if not (SAMPLE / "children.csv").exists():
        pytest.skip(f"the sample dataset is not at {SAMPLE}")
    return SAMPLE


@pytest.fixture
def dataset(sample, tmp_path):
    """A writable copy of the sample, to spoil a row of."""
    copy = tmp_path / "dataset"
    copy.mkdir()
    for path in sample.glob("*.csv"):
        shutil.copyfile(path, copy / path.name)
    return copy


@pytest.fixture
def english_messages():
    """Messages compared as text: in English whatever the active language."""
    with translation.override("en"):
        yield
