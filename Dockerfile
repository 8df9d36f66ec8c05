# Production image of the Astana pilot portal: one image for web (gunicorn), worker and beat (Celery).
# See docs/operations.md. Build: deploy/build-images (it makes the base and passes pip's settings).
#
# No image registry is needed: the base is Debian bookworm made with debootstrap from the machine's
# apt mirror and imported (deploy/build-images), and Python 3.11 is Debian's. No "# syntax=" line:
# it would make BuildKit pull a frontend image; the built-in one understands the secret mounts.
# pip's configuration (index, CA bundle) arrives as the BuildKit secrets pip_conf and pip_cert,
# so no index host is named here and nothing of it stays in the image.

ARG BASE_IMAGE=astana-pilot-base:bookworm
FROM ${BASE_IMAGE}

# PYTHONPATH=/app: the project directory comes first on the import path, so Django finds
#   templates/, static/ and locale/ next to the code (BASE_DIR=/app), not the copy in site-packages.
# DJANGO_SETTINGS_MODULE: manage.py and pilot/celery.py default to local settings; this image is
#   production only, for every process (gunicorn, celery, manage.py).
# MEDIA_ROOT, STATIC_ROOT: fixed paths; docker-compose.yml mounts the media volume there.
# WEB_CONCURRENCY: gunicorn's worker count; override it in .env.
# PATH: the virtualenv first (Debian's Python refuses system-wide pip installs, PEP 668).
ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=pilot.settings.production \
    MEDIA_ROOT=/var/lib/pilot/media \
    STATIC_ROOT=/app/staticfiles \
    WEB_CONCURRENCY=3

# Python 3.11 from Debian, in a virtualenv. WeasyPrint (PDF) needs Pango, HarfBuzz's subsetter
# and a font with Cyrillic and Kazakh letters.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        python3 \
        python3-venv \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz-subset0 \
        fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/* \
    && python3 -m venv /opt/venv

# Unprivileged runtime user. The code stays owned by root (read-only for the app); only the
# media and beat-schedule directories are writable.
RUN groupadd --system --gid 10001 pilot \
    && useradd --system --uid 10001 --gid pilot --home-dir /home/pilot --create-home \
        --shell /usr/sbin/nologin pilot \
    && mkdir -p /var/lib/pilot/media /var/lib/pilot/beat \
    && chown -R pilot:pilot /var/lib/pilot

WORKDIR /app

# Dependencies in their own layer: rebuilt only when pyproject.toml changes.
# pip reads the build machine's settings from the secrets when they are given (an empty
# pip_cert means "pip's own CA bundle").
COPY pyproject.toml ./
RUN --mount=type=secret,id=pip_conf --mount=type=secret,id=pip_cert \
    if [ -s /run/secrets/pip_conf ]; then export PIP_CONFIG_FILE=/run/secrets/pip_conf; fi \
    && python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
RUN --mount=type=secret,id=pip_conf --mount=type=secret,id=pip_cert \
    if [ -s /run/secrets/pip_conf ]; then export PIP_CONFIG_FILE=/run/secrets/pip_conf; fi \
    && pip install --no-cache-dir --no-deps . \
    && rm -rf build ./*.egg-info

# Static files are collected into the image (served by whitenoise). Production settings refuse to
# load without SECRET_KEY and ALLOWED_HOSTS, so this one command gets throw-away values; they are
# not stored in the image's environment and are never used at runtime.
RUN SECRET_KEY=build-time-only-collectstatic-key-not-used-at-runtime-0000000000 \
    ALLOWED_HOSTS=build.invalid \
    python manage.py collectstatic --noinput

USER pilot

EXPOSE 8000

# No HEALTHCHECK here: the same image runs the Celery worker and beat. docker-compose.yml
# defines a health check per service (web: GET /health/).
CMD ["gunicorn", "pilot.wsgi:application", "--bind", "0.0.0.0:8000", "--timeout", "120", "--worker-tmp-dir", "/dev/shm", "--access-logfile", "-"]
