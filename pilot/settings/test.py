"""The test suite: same as local, with fast password hashing and files in a temporary folder."""

import tempfile
from pathlib import Path

from .local import *  # noqa: F403

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="pilot-test-media-"))
AXES_ENABLED = True
LANGUAGE_CODE = "en"
WHITENOISE_AUTOREFRESH = True

# Tests run tasks in-process; tests marked `celery_worker` switch this off around a real worker.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True

# The cache (the analysts' dashboard) is each test process's own memory, emptied before every
# test (tests/conftest.py), even in the PostgreSQL + Redis pass: a figure cached by one test
# must not answer another, and emptying Redis would touch the broker's database.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
