"""Prepared reads: the API's hot statements, written once with SQLAlchemy Core and run straight on
the DBAPI cursor.

SQLAlchemy's execution path (execution context, events, result metadata, a `Row` per row) adds
about 70 µs to every statement: five to eight times SQLite's own time for a lookup by key, and
most of a member page's cost. A `Prepared` statement is compiled once per dialect by SQLAlchemy's
own compiler (the same SQL, the same bind and result type conversions), then executed on the
connection's DBAPI cursor inside the request's transaction. What is kept: the SQLite statement
deadline is armed as for any statement (by the cursor itself, see `cmir.api.db`), and driver
errors are raised as SQLAlchemy's (`OperationalError` on a timeout), so the API's error handlers
see no difference."""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import Select

Processor = Callable[[Any], Any]
_named_tuple: Callable[..., Any] = namedtuple  # field names known at run time only


def _check_binds(compiled: Any) -> None:
    if any(b.expanding or b.literal_execute for b in compiled.binds.values()) or compiled.escaped_bind_names:
        raise TypeError("Prepared takes plain named bind parameters only (no IN list)")


@dataclass
class _Compiled:
    sql: str
    positional: tuple[str, ...] | None  # parameter names in order (qmark/format drivers)
    defaults: dict[str, Any]  # literal values compiled into parameters (LIMIT 1)
    binds: tuple[tuple[str, Processor], ...]
    # result conversions depend on the driver's column types (PostgreSQL's type oids): set
    # from the first execution's cursor description
    results: tuple[tuple[int, Processor], ...] | None = None


class Prepared:
    """A SELECT with named bind parameters and no expanding (IN) ones, run on the DBAPI cursor.
    Rows are named tuples of the statement's selected column keys."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        keys = [column.key for column in statement.selected_columns]
        named = [k for k in keys if k is not None]
        if len(set(named)) != len(named):
            raise TypeError(f"Prepared needs distinct column names, got {named}")
        # unnamed columns (count(*)) get positional names: read them by index
        keys = [k if k is not None else f"unnamed_{i}" for i, k in enumerate(keys)]
        row_type = _named_tuple("PreparedRow", keys)
        self._make: Callable[[Any], Any] = row_type._make
        self._by_dialect: dict[str, _Compiled] = {}
        _check_binds(statement.compile())  # at import time, whatever the dialect

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled: Any = self.statement.compile(dialect=dialect)
        _check_binds(compiled)
        binds = []
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                binds.append((name, processor))
        return _Compiled(
            sql=compiled.string,
            positional=tuple(compiled.positiontup) if compiled.positional else None,
            defaults={name: b.effective_value for name, b in compiled.binds.items() if not b.required},
            binds=tuple(binds),
        )

    def _result_processors(self, dialect: Dialect, description: Any) -> tuple[tuple[int, Processor], ...]:
        results = []
        for index, column in enumerate(self.statement.selected_columns):
            processor = column.type.dialect_impl(dialect).result_processor(dialect, description[index][1])
            if processor is not None:
                results.append((index, processor))
        return tuple(results)

    def rows(self, connection: Connection, params: Mapping[str, Any]) -> list[Any]:
        """Every row for `params`, inside `connection`'s transaction."""
        dialect = connection.dialect
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            compiled = self._by_dialect[dialect.name] = self._compile(dialect)
        values = {**compiled.defaults, **params}
        for name, processor in compiled.binds:
            values[name] = processor(values[name])
        arguments: Any = values if compiled.positional is None else [values[k] for k in compiled.positional]
        cursor = connection.connection.cursor()
        try:
            cursor.execute(compiled.sql, arguments)
            raw = cursor.fetchall()
            if compiled.results is None:
                compiled.results = self._result_processors(dialect, cursor.description)
        except dialect.loaded_dbapi.Error as exc:
            raise DBAPIError.instance(compiled.sql, arguments, exc, dialect.loaded_dbapi.Error) from exc
        finally:
            cursor.close()
        make = self._make
        if not compiled.results:
            return [make(r) for r in raw]
        rows = []
        for r in raw:
            values_list = list(r)
            for index, processor in compiled.results:
                values_list[index] = processor(values_list[index])
            rows.append(make(values_list))
        return rows

    def first(self, connection: Connection, params: Mapping[str, Any]) -> Any:
        """The first row, or None."""
        rows = self.rows(connection, params)
        return rows[0] if rows else None

    def scalars(self, connection: Connection, params: Mapping[str, Any]) -> list[Any]:
        """The first column of every row."""
        return [r[0] for r in self.rows(connection, params)]

    def scalar(self, connection: Connection, params: Mapping[str, Any]) -> Any:
        """The first column of the first row, or None."""
        row = self.first(connection, params)
        return None if row is None else row[0]
