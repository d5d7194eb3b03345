"""Querysets compiled once per process: Django's own SQL, executed again with this request's values.

Django builds and compiles a queryset anew on every evaluation. For the reads every phone
request makes (its credential row, the one calendar object a GET asks for) that building is
most of their cost (pyinstrument, issue 13), while the SQL differs only in a few values.
``CompiledQuery`` builds the queryset once per database alias with placeholder values,
finds them in the compiled parameters, and substitutes each call's values there. Django's
result converters (SQLite's text timestamps to aware datetimes) come from the same
compilation, so a row has what ``values_list`` gives, in its column order.

Placeholders are values no real argument has: negative integers for keys, strings with a
NUL (which no name may contain) for names, instants in 1901 for times. A placeholder that does
not reach the parameters (a builder that ignores it) is an error at the first compilation, not
a silently wrong query. A time is found and substituted as the backend adapts it (SQLite: text).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connections
from django.db.models import CharField, DateTimeField, ForeignKey, Lookup, Model, QuerySet
from django.db.models.lookups import LessThan


def int_placeholder(n: int) -> int:
    """The ``n``-th integer placeholder (ids are positive)."""
    return -987_654_000 - n


def str_placeholder(name: str) -> str:
    """A string placeholder (no stored name or username contains a NUL)."""
    return f"\x00{name}\x00"


def datetime_placeholder(n: int) -> dt.datetime:
    """The ``n``-th time placeholder (nothing is booked in 1901)."""
    return dt.datetime(1901, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(minutes=n)


def _adapt(value: Any, alias: str) -> Any:
    """``value`` as the backend's lookups pass it: a time through ``adapt_datetimefield_value``."""
    if isinstance(value, dt.datetime):
        return connections[alias].ops.adapt_datetimefield_value(value)
    return value


class _Statement:
    def __init__(self, queryset: QuerySet, placeholders: dict[str, Any], alias: str) -> None:
        query = queryset.query
        compiler = query.get_compiler(alias)
        self.sql, params = compiler.as_sql()
        self.params = list(params)
        self.slots: list[tuple[int, str]] = []
        self.times = {name for name, p in placeholders.items() if isinstance(p, dt.datetime)}
        # a lookup may pass a value on in a type of its own (``AnyOf``: a ``TextArray``); each call's value too
        self.wraps: dict[int, type] = {}
        placeholders = {name: _adapt(p, alias) for name, p in placeholders.items()}
        for i, value in enumerate(self.params):
            for name, placeholder in placeholders.items():
                if isinstance(value, type(placeholder)) and value == placeholder:
                    self.slots.append((i, name))
                    if type(value) is not type(placeholder):
                        self.wraps[i] = type(value)
        if {name for _, name in self.slots} != set(placeholders):
            raise ValueError(f"placeholders not in the compiled query: {set(placeholders)}")
        fields = [s[0] for s in compiler.select[:compiler.col_count]]
        self.converters = list(compiler.get_converters(fields).items())
        # columns the SQL selects only for its ordering are cut off, as ``execute_sql`` does
        self.width = compiler.col_count if compiler.has_extra_select else None


class CompiledQuery:
    """``build(**placeholders)`` compiled once per alias; ``rows(**values)`` runs it with ``values``.

    ``build`` returns a ``values_list`` queryset: rows come in its column order.
    """

    def __init__(self, build: Callable[..., QuerySet], **placeholders: Any) -> None:
        self.build = build
        self.placeholders = placeholders
        self._statements: dict[str, _Statement] = {}
        self._lock = threading.Lock()

    def statement(self, alias: str = "default") -> _Statement:
        statement = self._statements.get(alias)
        if statement is None:
            with self._lock:
                statement = self._statements.get(alias)
                if statement is None:
                    statement = _Statement(self.build(**self.placeholders), self.placeholders, alias)
                    self._statements[alias] = statement
        return statement

    def rows(self, using: str = "default", **values: Any) -> list[Sequence[Any]]:
        """The rows for ``values`` (one per placeholder), converted as Django converts them."""
        st = self.statement(using)
        params = list(st.params)
        for i, name in st.slots:
            params[i] = _adapt(values[name], using) if name in st.times else values[name]
        for i, wrap in st.wraps.items():
            params[i] = wrap(params[i])
        connection = connections[using]
        with connection.cursor() as cursor:
            cursor.execute(st.sql, params)
            rows = cursor.fetchall()
        if st.converters:
            rows = [list(row) for row in rows]
            for row in rows:
                for i, (functions, expression) in st.converters:
                    value = row[i]
                    for convert in functions:
                        value = convert(value, expression, connection)
                    row[i] = value
        if st.width is not None:
            rows = [row[:st.width] for row in rows]
        return rows


def columns(model: type[Model]) -> tuple[str, ...]:
    """The model's concrete columns in field order: select them with ``values_list`` to build instances."""
    return tuple(f.attname for f in model._meta.concrete_fields)


def instances(model: type[Model], rows: Iterable[Sequence[Any]], using: str = "default") -> list[Model]:
    """Rows of ``columns(model)`` as model instances, as a queryset would load them (``Model.from_db``)."""
    names = columns(model)
    return [model.from_db(using, names, row) for row in rows]


class TextArray(list):
    """Strings that go to PostgreSQL as one ``text[]`` parameter in binary form (``AnyOf``).

    psycopg sends a list of strings as an array literal, which PostgreSQL parses element by element
    (quotes, escapes): for a multiget's 100 names that was 0.2 ms of a 0.7 ms statement (issue 13).
    The binary form is a length and the bytes per element. Its dumper is registered on every new
    PostgreSQL connection (``register_text_array``); without it psycopg sends the literal, as for a list.
    """


def register_text_array(sender: object, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver: send ``TextArray`` values in binary (``ListBinaryDumper``)."""
    if connection.vendor == "postgresql":
        from psycopg.types.array import ListBinaryDumper

        connection.connection.adapters.register_dumper(TextArray, ListBinaryDumper)


@CharField.register_lookup
class AnyOf(Lookup):
    """``name__any_of=[...]``: ``name = ANY(%s::text[])`` on PostgreSQL, one parameter for any number of values.

    ``name__in`` writes one placeholder per value: a statement per list length, and above 50
    parameters psycopg parses the SQL anew on every execution (its parse cache stops there), which
    was a tenth of a multiget of 100 (issue 13). With one array parameter a compiled read serves
    every length, and PostgreSQL prepares it once. Elsewhere it is ``IN``.
    """

    lookup_name = "any_of"
    prepare_rhs = False  # the list is the value; CharField would make a string of it

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = list(self.rhs)
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s::text[])", [*lhs_params, TextArray(values)]
        if not values:
            return "1 = 0", list(lhs_params)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


@ForeignKey.register_lookup
class AmongRows(Lookup):
    """``appointment_id__among_rows=<a one-column queryset>``: ``= ANY(ARRAY(subquery))`` on PostgreSQL.

    With ``IN (subquery)`` PostgreSQL joins: it read all 10 000 bookings of a calendar to meet the
    few hundred appointments of a week (a hash join; the statement ran 2.0 ms). The ARRAY is run
    first, once, and the booking index is then probed for each value it holds (0.7 ms in all;
    issue 13: the week query is 70 % of a shop's load). Elsewhere it is ``IN``.
    """

    lookup_name = "among_rows"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        if not hasattr(self.rhs, "as_sql"):
            raise TypeError("among_rows takes a queryset of one column, not values")
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)  # "(SELECT ...)", parenthesised
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(ARRAY{rhs})", [*lhs_params, *rhs_params]
        return f"{lhs} IN {rhs}", [*lhs_params, *rhs_params]


@DateTimeField.register_lookup
class BeforeUnindexed(LessThan):
    """``time__lt_unindexed=<time>``: ``time < value``, written on PostgreSQL so that the planner neither
    probes an index with it nor estimates rows from it (``time + INTERVAL '0' < value``).

    For the week query's undecided branch, ``occurrences_until < $end``: in a prepared statement the
    value is unknown, and PostgreSQL then estimates a third of all appointments, though the column is
    NULL for every appointment but an endless series. That estimate made the generic plan look four
    times dearer than it is, so every run was planned anew (0.5 to 0.9 ms of a 2 to 3 ms statement;
    issue 13). Beside ``isnull=False`` (estimated from the column's NULL fraction, and matched by the
    partial index on it) the comparison is only a filter, and the generic plan is taken.
    """

    lookup_name = "lt_unindexed"

    def get_rhs_op(self, connection, rhs):  # elsewhere ``lt`` as it is
        return connection.operators["lt"] % rhs

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"({lhs} + INTERVAL '0') < {rhs}", [*lhs_params, *rhs_params]
