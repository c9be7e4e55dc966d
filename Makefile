# Two commands: `make run` and `make test`. Every install step lives here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HTMX := static/vendor/htmx.min.js
CHROMIUM := /usr/bin/chromium
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: run test test-sqlite test-postgres install assets chromium lint lock bench clean

run: install assets
	$(BIN)/annotator db upgrade
	$(BIN)/annotator demo
	$(BIN)/annotator serve --host 127.0.0.1 --port 5000

test: install assets chromium
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

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

# Refresh the pinned versions after changing dependencies in pyproject.toml.
lock:
	rm -rf /tmp/annotator-lock && $(PYTHON) -m venv /tmp/annotator-lock
	/tmp/annotator-lock/bin/python -m pip install --quiet --upgrade pip
	/tmp/annotator-lock/bin/python -m pip install --quiet -e '.[dev]'
	/tmp/annotator-lock/bin/python -m pip freeze --exclude-editable | grep -v '^annotator' > constraints.txt

bench: install
	$(BIN)/python bench/extract_speed.py

clean:
	rm -rf $(VENV) node_modules static/vendor
