"""Hot queries built and compiled once per process, then run with each request's ids.

Building and compiling a queryset costs far more than running it when the query is small and
indexed: the navigation badges cost 4.8 ms to build and 0.8 ms to run. A CompiledQuery builds
its queryset once per database vendor with sentinel ids (values no row has), keeps the SQL,
and on each call puts the request's ids where the sentinels were.

Only ids may vary, and the arguments named as text (a group's address): every other parameter
is frozen into the SQL at the first call, so a queryset with a time or any other per-request
value in it is refused.

model_columns() and model_from_row() read whole models (and those select_related() would join)
from such a query's rows, as the ORM would have loaded them.

On PostgreSQL the SQL is also a prepared statement of each pooled connection, with a generic
plan: planning the badges' query cost PostgreSQL 0.6 ms of every member page, running it
0.3 ms. Django's own queries bind on the client and are never prepared; these alone use a
server-binding cursor (the settings let only an explicit prepare=True prepare anything, and
make a prepared statement's plan generic at once: prepare_threshold and plan_cache_mode).
"""

import functools
from collections.abc import Callable

from django.db import connection
from django.db.models import QuerySet

# Ids no row has, one per argument of the builder. The others run the other way round: a
# builder that orders its ids (lowest first…) puts them elsewhere, and is refused.
SENTINELS = (-7_777_777, -7_777_778, -7_777_779)
OTHER_SENTINELS = (-8_888_889, -8_888_888, -8_888_887)
# The same for text arguments: no slug, name or address holds these control characters.
TEXT_SENTINELS = ("\x1ecompiled-1\x1e", "\x1ecompiled-2\x1e", "\x1ecompiled-3\x1e")
OTHER_TEXT_SENTINELS = ("\x1ecompiled-9\x1e", "\x1ecompiled-8\x1e", "\x1ecompiled-7\x1e")
VARYING = (int, str)


class CompiledQuery:
    """build(*ids) -> a .values() queryset; fetchone(*ids) runs it for those ids and returns
    its row as a dict, or None (a query of one row at most), fetchall(*ids) its rows. The
    arguments named in `text` are strings (a slug), the others ids."""

    def __init__(self, build: Callable[..., QuerySet], *names: str, text: tuple[str, ...] = ()):
        if len(names) > len(SENTINELS):
            raise ValueError(f"at most {len(SENTINELS)} ids")
        if not set(text) <= set(names):
            raise ValueError(f"text names no argument: {text!r}")
        self.build = build
        self.names = names
        self._sentinels = self._pick(text, SENTINELS, TEXT_SENTINELS)
        self._other_sentinels = self._pick(text, OTHER_SENTINELS, OTHER_TEXT_SENTINELS)
        self._compiled: dict[str, tuple[str, tuple, list[str], dict]] = {}

    def _pick(self, text: tuple[str, ...], ids: tuple, texts: tuple) -> tuple:
        return tuple(
            (texts if name in text else ids)[position] for position, name in enumerate(self.names)
        )

    def _sql(self, vendor: str) -> tuple[str, tuple, list[str], dict]:
        if vendor not in self._compiled:
            queryset = self.build(*self._sentinels)
            sql, params = queryset.query.sql_with_params()
            # Built again for other ids: every parameter but the ids must come out the same
            # (a time or a random value would not), and the ids where the sentinels were.
            again_sql, again = self.build(*self._other_sentinels).query.sql_with_params()
            swapped = dict(zip(self._sentinels, self._other_sentinels, strict=True))
            expected = [swapped.get(p, p) if type(p) in VARYING else p for p in params]
            if again_sql != sql or list(again) != expected:
                raise TypeError(f"{self.build.__name__} has a value that would be frozen")
            for param in params:
                if not isinstance(param, (str, int)):
                    raise TypeError(f"{param!r} would be frozen into the compiled SQL")
            columns = [*queryset.query.values_select, *queryset.query.annotation_select]
            # The database's converters, as the ORM applies them (SQLite's datetimes…).
            compiler = queryset.query.get_compiler(connection=connection)
            compiler.setup_query()
            selected = [expression for expression, _, _ in compiler.select[: compiler.col_count]]
            converters = compiler.get_converters(selected)
            self._compiled[vendor] = (sql, params, columns, converters)
        return self._compiled[vendor]

    def fetchone(self, *ids: int) -> dict | None:
        rows = self._run(ids, many=False)
        return rows[0] if rows else None

    def fetchall(self, *ids: int) -> list[dict]:
        """Every row, as dicts: for a sliced queryset (a block's first rows)."""
        return self._run(ids, many=True)

    def _run(self, ids: tuple, *, many: bool) -> list[dict]:
        sql, params, columns, converters = self._sql(connection.vendor)
        values = dict(zip(self._sentinels, ids, strict=True))
        params = [values.get(param, param) if type(param) in VARYING else param for param in params]
        with _cursor() as cursor:
            cursor.execute(sql, params)
            if many:
                rows = cursor.fetchall()
            else:
                row = cursor.fetchone()
                rows = [] if row is None else [row]
        result = []
        for row in rows:
            row = list(row)
            for position, (functions, expression) in converters.items():
                for convert in functions:
                    row[position] = convert(row[position], expression, connection)
            result.append(dict(zip(columns, row, strict=True)))
        return result


def model_columns(model, prefix: str = "") -> list[str]:
    """The columns of a whole `model` for .values(), under a relation's prefix ("author__")."""
    return [f"{prefix}{field.attname}" for field in model._meta.concrete_fields]


def model_from_row(model, row: dict, prefix: str = ""):
    """The `model` instance a row of model_columns(model, prefix) holds, as the ORM loads it
    (or None where a left join found none)."""
    if row[f"{prefix}{model._meta.pk.attname}"] is None:
        return None
    names = [field.attname for field in model._meta.concrete_fields]
    return model.from_db(connection.alias, names, [row[f"{prefix}{name}"] for name in names])


@functools.cache
def _prepared_cursor_class():
    from django.db.backends.postgresql.base import ServerBindingCursor

    class PreparedCursor(ServerBindingCursor):
        def execute(self, query, params=None, **kwargs):
            return super().execute(query, params, prepare=True)

    return PreparedCursor


def _cursor():
    """Django's cursor (so that its query log and django_assert_num_queries count the query),
    around a cursor that prepares its statements on PostgreSQL."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    return connection._prepare_cursor(_prepared_cursor_class()(connection.connection))
