"""The Celery application: one per process, configured from Django settings (CELERY_*)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pilot.settings.local")

app = Celery("pilot")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
