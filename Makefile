# Two commands do all the set-up: `make run` and `make test` (README).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test venv lint typecheck worker beat clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

## run: the service on the embedded default (SQLite, in-process tasks, console mail/SMS) with demo data
run: $(STAMP)
	$(BIN)/python scripts/run_dev.py

## test: the whole suite (integration tests too when DATABASE_URL/REDIS_URL point at PostgreSQL/Redis)
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

worker: $(STAMP)
	$(BIN)/celery -A coldchain worker -Q ingest,evaluate,alerts -l info

beat: $(STAMP)
	$(BIN)/celery -A coldchain beat -l info

clean:
	rm -rf var/db.sqlite3* var/media var/static
