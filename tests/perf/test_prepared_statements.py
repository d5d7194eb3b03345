"""On PostgreSQL a statement a phone repeats is planned once per connection (issue 13, ``config/settings.py``).

psycopg prepares a statement on its fifth run in a connection when parameters are bound on the
server; Django turns that off by default. Planning the one-object read of a GET cost more than
running it.
"""

from __future__ import annotations

import pytest
from django.db import connection

from scheduler.compiled_query import CompiledQuery, int_placeholder
from scheduler.models import Appointment

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's")


@pytest.mark.django_db
def test_a_repeated_statement_is_prepared_by_the_server():
    read = CompiledQuery(lambda pk: Appointment.objects.filter(pk=pk).values_list("uid"), pk=int_placeholder(0))
    for pk in range(1, 8):
        read.rows(pk=pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('FROM "scheduler_appointment"' in sql and "$1" in sql for sql in prepared), prepared


def test_binding_can_be_turned_off_for_a_pooler(monkeypatch):
    import importlib

    from config import settings

    monkeypatch.setenv("DB_SERVER_SIDE_BINDING", "0")
    try:
        options = importlib.reload(settings).DATABASES["default"].get("OPTIONS", {})
        assert "prepare_threshold" not in options and not options.get("server_side_binding")
    finally:
        monkeypatch.undo()
        importlib.reload(settings)
