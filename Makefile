PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export TERMINSYNC_BASE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: install migrate demo run test lint clean vendor bench

# The planner's grid: EventCalendar (MIT), pinned; `make vendor` refreshes the committed copy (needs npm).
EVENT_CALENDAR_VERSION := 5.10.1
EVENT_CALENDAR_DIR := scheduler/static/scheduler/vendor/event-calendar

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python manage.py migrate --noinput -v 0

demo: migrate
	$(BIN)/python manage.py loaddemo $(if $(DEMO_PASSWORD),--password $(DEMO_PASSWORD),)

run: demo
	@echo "  Server: $(TERMINSYNC_BASE_URL)  (Strg+C beendet)"
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# One pytest process per core (pytest-xdist; each with its own test database, live server and browser);
# TEST_WORKERS=0 runs the suite in this process (a debugger, -x on the first failure in order).
TEST_WORKERS ?= auto

test: install
	DB_CONN_MAX_AGE=0 $(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

# CalDAV benchmark against Radicale and Xandikos, each from PyPI in its own venv (bench/README.md):
# SQLite first, then PostgreSQL when one listens at BENCH_PG_URL.
PEERS := bench/.peers
BENCH_ARGS ?= --sizes 1000,10000
BENCH_PG_URL ?= postgres://postgres@127.0.0.1:5432/terminsync_bench
BENCH_PEERS = --radicale-python $(PEERS)/radicale-venv/bin/python --xandikos-python $(PEERS)/xandikos-venv/bin/python

$(PEERS)/%-venv/.installed:
	$(PYTHON) -m venv $(PEERS)/$*-venv
	$(PEERS)/$*-venv/bin/pip install -q $*
	touch $@

bench: install $(PEERS)/radicale-venv/.installed $(PEERS)/xandikos-venv/.installed
	$(BIN)/python bench/caldav_bench.py $(BENCH_ARGS) $(BENCH_PEERS)
	if $(BIN)/python -c "import psycopg; psycopg.connect('$(BENCH_PG_URL)'.rsplit('/', 1)[0] + '/postgres')" 2>/dev/null; \
	then $(BIN)/python bench/caldav_bench.py $(BENCH_ARGS) $(BENCH_PEERS) --database-url $(BENCH_PG_URL); \
	else echo "no PostgreSQL at $(BENCH_PG_URL): SQLite only"; fi

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles *.egg-info

vendor:
	rm -rf $(EVENT_CALENDAR_DIR)/.npm && mkdir -p $(EVENT_CALENDAR_DIR)/.npm
	cd $(EVENT_CALENDAR_DIR)/.npm && npm pack --silent @event-calendar/build@$(EVENT_CALENDAR_VERSION) >/dev/null \
		&& tar xzf event-calendar-build-$(EVENT_CALENDAR_VERSION).tgz
	cp $(EVENT_CALENDAR_DIR)/.npm/package/dist/event-calendar.min.js \
	   $(EVENT_CALENDAR_DIR)/.npm/package/dist/event-calendar.min.js.map \
	   $(EVENT_CALENDAR_DIR)/.npm/package/dist/event-calendar.min.css $(EVENT_CALENDAR_DIR)/
	{ echo "@event-calendar/build $(EVENT_CALENDAR_VERSION) (npm), files of dist/ unmodified; MIT, see LICENSE."; \
	  echo "Fetched with: make vendor (npm pack @event-calendar/build@$(EVENT_CALENDAR_VERSION))"; \
	  cd $(EVENT_CALENDAR_DIR) && sha256sum event-calendar.min.js event-calendar.min.css event-calendar.min.js.map; \
	} > $(EVENT_CALENDAR_DIR)/VERSION
	rm -rf $(EVENT_CALENDAR_DIR)/.npm
