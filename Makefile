# The two commands of README.md: `make demo` and `make test`.
.PHONY: demo demo-setup test lint format migrations-check deploy-check chromium xmlsec1 screenshots bench bench-scale

VENV := .venv/bin
# Demo mode runs with debug off (the product's own error pages) on a key kept in .demo-secret-key.
DEMO_ENV := ACCESSPORTAL_DEMO=true

# demo-setup prepares the database; processes the demo serves are started by `demo`.
demo: demo-setup
	# The sample relying parties (samples/serve.py) run beside the portal and stop with it.
	$(VENV)/python -m samples.serve & samples=$$!; trap 'kill $$samples' EXIT INT TERM; \
	$(DEMO_ENV) $(VENV)/python manage.py runserver 127.0.0.1:8000

demo-setup: xmlsec1
	scripts/bootstrap
	$(DEMO_ENV) $(VENV)/python manage.py migrate --no-input
	$(DEMO_ENV) $(VENV)/python manage.py seed_demo

test: chromium xmlsec1
	scripts/bootstrap dev
	$(VENV)/pytest $(PYTEST_ARGS)

chromium:
	scripts/ensure-chromium

xmlsec1:
	scripts/ensure-xmlsec1

lint:
	scripts/bootstrap dev
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .

format:
	$(VENV)/ruff format .
	$(VENV)/ruff check --fix .

migrations-check:
	scripts/bootstrap dev
	DJANGO_DEBUG=true $(VENV)/python manage.py makemigrations --check --dry-run

# `check --deploy` with production settings must print no warning.
deploy-check:
	scripts/bootstrap
	DJANGO_SECRET_KEY=$$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
	DJANGO_ALLOWED_HOSTS=portal.example.com EMAIL_HOST=smtp.example.com ACCESSPORTAL_SITE_URL=https://portal.example.com \
	$(VENV)/python manage.py check --deploy --fail-level WARNING

bench:
	scripts/bootstrap dev
	$(VENV)/python bench/portal_pages.py

# Issue 13's figures at 100,000 users on SQLite and on PostgreSQL (BENCH_DATABASE_URL, a database it may drop);
# prints a table and writes bench/scale-results.json. See README, Performance.
bench-scale:
	scripts/bootstrap dev
	$(VENV)/python bench/scale.py

# Regenerates docs/screenshots/*.png from a fresh demo on a throw-away database (see scripts/screenshots.py).
screenshots: chromium
	scripts/bootstrap dev
	$(VENV)/python scripts/screenshots.py
