"""Developer machine: `make run`. SQLite and in-process Celery unless the environment says otherwise."""

import os

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
# A fixed key is acceptable only here: local data is demo data, and production refuses to start without one.
SECRET_KEY = os.environ.get("SECRET_KEY") or "local-development-only-not-a-secret"

# Serve static files straight from the apps' folders (no collectstatic needed for `make run`).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
