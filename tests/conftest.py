import pytest


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
