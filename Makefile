# The portal's commands. `make run` and `make test` are all a newcomer needs.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install run test test-all lint bench fuzz demo messages clean check-system

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found). On Debian: apt-get install python3 python3-venv"; exit 1; }
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV) || { echo "Could not create $(VENV). On Debian: apt-get install python3-venv"; exit 1; }
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP) check-system

# WeasyPrint (PDF) needs Pango from the system.
check-system:
	@$(PY) -c "import weasyprint" 2>/dev/null || { echo "WeasyPrint cannot load Pango. On Debian: apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core"; exit 1; }

run: install
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py load_demo
	@echo ""
	@echo "  The portal:  http://$(HOST):$(PORT)/     admin: http://$(HOST):$(PORT)/admin/"
	@echo ""
	$(PY) manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

# The API fuzzed afresh (new examples each run, FUZZ_EXAMPLES per operation); the suite's own
# run is derandomized so that CI answers the same for the same code.
FUZZ_EXAMPLES ?= 300
fuzz: install
	FUZZ_RANDOM=1 FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -p no:cacheprovider tests/core/test_api_schemathesis.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports
	$(PY) manage.py makemigrations --check --dry-run

# Refresh the catalogues after code changes (needs gettext), keeping the Kazakh admin overrides.
# Benchmarks at the Astana scale on a throw-away database (SQLite unless BENCH_DATABASE_URL):
# bench/run.py (pages and jobs), then bench/billing.py (import and billing of a half-year;
# BENCH_TEN_TIMES=1 adds ten times the size) on the database made fresh again. Both always run;
# `make bench` fails if either reports a row over its target.
BENCH_DATABASE_URL ?= sqlite:////tmp/pilot-bench.sqlite3
BENCH_ENV := DATABASE_URL=$(BENCH_DATABASE_URL)
# Fresh: the SQLite file removed, or PostgreSQL's public schema dropped and made again; migrated.
BENCH_FRESH_DB = case '$(BENCH_DATABASE_URL)' in \
	  sqlite:///*) rm -f '$(patsubst sqlite:///%,%,$(BENCH_DATABASE_URL))' ;; \
	  postgres*) psql -q -v ON_ERROR_STOP=1 '$(BENCH_DATABASE_URL)' \
	    -c 'SET client_min_messages = warning; DROP SCHEMA public CASCADE; CREATE SCHEMA public' ;; \
	esac && $(BENCH_ENV) $(PY) manage.py migrate --noinput -v0
bench: install
	status=0; \
	$(BENCH_FRESH_DB) && $(BENCH_ENV) $(PY) bench/run.py || status=1; \
	$(BENCH_FRESH_DB) && $(BENCH_ENV) $(PY) bench/billing.py || status=1; \
	exit $$status

messages: install
	$(PY) manage.py makemessages -l ru -l kk --ignore='.venv/*' --ignore='tests/*' --ignore='bench/*' --no-obsolete
	for lang in ru kk; do \
	  test ! -f locale/$$lang/admin_overrides.po || msgcat --use-first locale/$$lang/LC_MESSAGES/django.po locale/$$lang/admin_overrides.po -o locale/$$lang/LC_MESSAGES/django.po; \
	done
	$(PY) manage.py compilemessages --ignore='.venv/*'

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles .pytest_cache .mypy_cache .ruff_cache
