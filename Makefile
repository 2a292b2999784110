# Every target installs what it needs first, so each works on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := appraisal
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run test test-e2e bench lint format translations clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/appraisal db upgrade
	$(BIN)/appraisal demo --if-empty --host $(HOST) --port $(PORT)
	$(BIN)/appraisal run --host $(HOST) --port $(PORT)

# Unit and web tests, then the browser journeys (skipped with a reason when Chromium is absent).
test: install
	$(BIN)/pytest -q $(PYTEST_ARGS)

test-e2e: install
	$(BIN)/pytest -q -m e2e $(PYTEST_ARGS)

# The benchmarks, then the scale section (issue 20: 1k vs 10k employees, ~15 minutes), whose
# load test needs gunicorn (the prod extra), wrk (apt-get install wrk) and PostgreSQL (initdb
# here, or APPRAISAL_BENCH_PG_URL); BENCH_SCALE_LOAD=0 skips it.
bench: install
	$(BIN)/pip install --quiet -e '.[dev,prod]'
	$(BIN)/python -m bench
	$(BIN)/python -m bench --scale

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Re-extract messages and update the catalogues after changing translatable text, then
# translate the new entries in appraisal/translations/*/LC_MESSAGES/messages.po.
translations: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -o appraisal/translations/messages.pot .
	$(BIN)/pybabel update -i appraisal/translations/messages.pot -d appraisal/translations --no-fuzzy-matching
	$(BIN)/pybabel compile -d appraisal/translations

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
