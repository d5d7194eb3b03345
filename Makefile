PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: install migrate demo run test lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py loaddemo $(if $(DEMO_PASSWORD),--password $(DEMO_PASSWORD),)

run: demo
	@echo ""
	@echo "  Admin:      http://127.0.0.1:$(PORT)/admin/"
	@echo "  Mein Konto: http://127.0.0.1:$(PORT)/account/"
	@echo "  CalDAV:     http://127.0.0.1:$(PORT)/.well-known/caldav  (Kalender: http://127.0.0.1:$(PORT)/caldav/)"
	@echo "  REST-API:   http://127.0.0.1:$(PORT)/api/"
	@echo ""
	TERMINSYNC_BASE_URL=$${TERMINSYNC_BASE_URL:-http://127.0.0.1:$(PORT)} $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install
	DB_CONN_MAX_AGE=0 $(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles *.egg-info
