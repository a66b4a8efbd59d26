# smartgov — the two commands: `make run` (demo on embedded SQLite) and `make test` (whole suite).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PEOPLE ?= 200
export SMARTGOV_DATABASE_URL ?= sqlite:///var/smartgov.db
export SMARTGOV_DATA_DIR ?= var
# Links in e-mails, SMS and QR codes start here; the server and the worker beside it must agree,
# so it is given to both (a wildcard HOST is reached on loopback). Set it to the public address
# when people reach the server some other way.
export SMARTGOV_BASE_URL ?= http://$(if $(filter 0.0.0.0 ::,$(HOST)),127.0.0.1,$(HOST)):$(PORT)

.PHONY: run test install install-dev lint migrate demo worker messages bench screenshots clean help

help:
	@echo "make run    - install, migrate, load the demo and serve http://$(HOST):$(PORT)"
	@echo "make test   - install dev extras and run the whole suite"
	@echo "make lint   - ruff"
	@echo "make bench  - benchmarks (see bench/README.md)"
	@echo "make screenshots - the citizen's home and notification centre, fa/en, 390/1280 px, into docs/screenshots"

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed pyproject.toml
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# The NGSI-LD client package the operations tests drive the broker with: it pins httpx<0.24, which
# cannot live beside ours, so it gets an interpreter of its own (tests/operations/test_ngsildclient.py).
NGSI_VENV ?= .venv-ngsildclient
$(NGSI_VENV)/.installed:
	$(PYTHON) -m venv $(NGSI_VENV)
	$(NGSI_VENV)/bin/python -m pip install --quiet 'ngsildclient==0.5.2'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(VENV)/bin/smartgov migrate

demo: migrate
	$(VENV)/bin/smartgov demo --people $(PEOPLE)

run: demo
	@echo "Serving on http://$(HOST):$(PORT) (the outbox worker runs beside it; Ctrl+C stops both)"
	@$(VENV)/bin/smartgov worker --interval 1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/smartgov serve --host $(HOST) --port $(PORT)

worker: install
	$(VENV)/bin/smartgov worker

test: install-dev $(NGSI_VENV)/.installed
	$(VENV)/bin/ruff check .
	SMARTGOV_NGSILDCLIENT_PYTHON=$(CURDIR)/$(NGSI_VENV)/bin/python $(VENV)/bin/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(VENV)/bin/ruff check .

messages: install-dev
	scripts/messages.sh

# The demo on a temporary SQLite database (never var/), Chromium at /usr/bin/chromium through Playwright.
screenshots: install-dev
	$(PY) scripts/screenshots.py --out docs/screenshots

bench: install-dev
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
