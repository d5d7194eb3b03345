"""Issue 13: the shape of the listing queries, which decides their cost at 10 000 objects.

A whole listing is read without ORDER BY (no order is owed: RFC 4918 §9.1, RFC 6578 §3.2;
sorting was as costly as the join on PostgreSQL), and a multiget's names are looked up
through the (resource, name) index rather than by reading every booking of the calendar.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from scheduler import selectors

from .conftest import fill

pytestmark = pytest.mark.django_db


def _listing_sql(resource, **kw) -> str:
    with CaptureQueriesContext(connection) as queries:
        rows = list(selectors.object_rows(resource, **kw))
    [sql] = [q["sql"] for q in queries.captured_queries if '"scheduler_booking"' in q["sql"]]
    assert rows
    return sql


def test_a_whole_listing_is_not_sorted(dav):
    fill(dav.room, 0, 3)
    sql = _listing_sql(dav.room)
    assert "ORDER BY" not in sql.upper()


def test_a_whole_listing_still_has_every_object_once(dav):
    fill(dav.room, 0, 12)
    names = [row.name for row in selectors.object_rows(dav.room)]
    assert sorted(names) == sorted(f"l{i}.ics" for i in range(12))


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the plan is checked on the test database, SQLite")
def test_a_multiget_looks_its_names_up_in_the_index(dav):
    fill(dav.room, 0, 20)
    sql = _listing_sql(dav.room, names=["l3.ics", "l7.ics"], data=True)
    with connection.cursor() as cursor:
        plan = " ".join(str(row[-1]) for row in cursor.execute("EXPLAIN QUERY PLAN " + sql).fetchall())
    assert "SCAN scheduler_booking" not in plan, plan
    assert "SEARCH scheduler_booking USING" in plan and "(resource_id=? AND name=?)" in plan, plan
