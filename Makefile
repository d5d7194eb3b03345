PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export TERMINSYNC_BASE_URL ?= http://127.0.0.1:$(PORT)

.PHONY: install migrate demo run test lint clean

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

test: install
	DB_CONN_MAX_AGE=0 $(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles *.egg-info
