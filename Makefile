# Two commands: `make run` and `make test`. Every install step lives here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HTMX := static/vendor/htmx.min.js
CHROMIUM := /usr/bin/chromium
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
# `make run PORT=8080` serves on another port.
PORT ?= 5000

.PHONY: run test test-sqlite test-postgres install assets chromium lint lock bench bench-load clean screenshots

# The web server and one worker (the job queue's consumer) together; Ctrl-C stops both.
run: install assets
	$(BIN)/annotator db upgrade
	$(BIN)/annotator demo
	@$(BIN)/annotator worker & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/annotator serve --host 127.0.0.1 --port $(PORT)

# The suite runs twice: on SQLite (everything, browser tests included), then on PostgreSQL
# (each test in a fresh schema; the browser tests are left out, they test the browser side).
test: lint test-sqlite test-postgres

test-sqlite: install assets chromium
	$(BIN)/python -m pytest

test-postgres: install
	@for i in $$(seq 30); do \
	  $(BIN)/python -c "import sys, sqlalchemy; sqlalchemy.create_engine(sys.argv[1]).connect()" \
	    '$(PG_URL)' 2>/dev/null && break; \
	  [ $$i = 30 ] && { echo "PostgreSQL does not answer at $(PG_URL)" >&2; exit 1; }; \
	  sleep 1; done
	TEST_DATABASE_URL='$(PG_URL)' $(BIN)/python -m pytest -m "not browser"

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

assets: $(HTMX)

$(HTMX): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js $(HTMX)

# Debian's Chromium for the browser tests; Playwright never downloads a browser here.
chromium:
	@test -x $(CHROMIUM) || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# Refresh the pinned versions after changing dependencies in pyproject.toml.
lock:
	rm -rf /tmp/annotator-lock && $(PYTHON) -m venv /tmp/annotator-lock
	/tmp/annotator-lock/bin/python -m pip install --quiet --upgrade pip
	/tmp/annotator-lock/bin/python -m pip install --quiet -e '.[dev]'
	/tmp/annotator-lock/bin/python -m pip freeze --exclude-editable | grep -v '^annotator' > constraints.txt

bench: install
	$(BIN)/python bench/extract_speed.py

# The load benchmark, e.g. `make bench-load BENCH_DB=postgres BENCH_MODE=max BENCH_SECONDS=30`.
BENCH_DB ?= sqlite
BENCH_MODE ?= human
BENCH_SECONDS ?= 60
bench-load: install
	$(BIN)/python bench/load.py --db $(BENCH_DB) --mode $(BENCH_MODE) --seconds $(BENCH_SECONDS)

# The README's tour: a fresh demo database served locally, photographed in Chromium into docs/.
screenshots: install assets chromium
	$(BIN)/python tools/screenshots.py

clean:
	rm -rf $(VENV) node_modules static/vendor
