"""Bulk inserts: ``COPY`` on PostgreSQL, one ``executemany`` elsewhere.

Bind processors are looked up once per column (and exact integers converted by a direct
function) instead of once per value as ``connection.execute(insert(table), rows)`` does, which
makes writing the raw log and the projections several times faster. Values still convert exactly
as SQLAlchemy's types say.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.engine import Dialect

from cmir.store.types import UINT256_MAX, Uint256

_INT64_MAX = (1 << 63) - 1
_SQL: dict[tuple[str, str, tuple[str, ...]], str] = {}


def _fits_int64(values: Sequence[Any]) -> bool:
    """Whether every value of a `Uint256` column (ints and Nones) fits 64 bits; raises if one
    is not a uint256. C-level builtins only: almost every amount is small."""
    try:
        low, high = min(values, default=0), max(values, default=0)
    except TypeError:  # Nones among the ints (min/max compare them)
        low = high = None
    if low is None or high is None:  # ... or a single None
        present = [v for v in values if v is not None]
        if not present:
            return True
        low, high = min(present), max(present)
    if low < 0 or high > UINT256_MAX:
        raise ValueError(f"value out of the uint256 range in {low}..{high}")
    return bool(high <= _INT64_MAX)


def _convert_columns(
    table: Table, names: Sequence[str], rows: Sequence[dict[str, Any]], dialect: Dialect
) -> list[Any]:
    """Rows as parameter tuples, converted column by column."""
    columns: list[Any] = (
        list(zip(*map(itemgetter(*names), rows), strict=True))
        if len(names) > 1
        else [[row[names[0]] for row in rows]]
    )
    for index, name in enumerate(names):
        column_type = table.c[name].type
        if isinstance(column_type, Uint256):
            if not _fits_int64(columns[index]) and dialect.name == "sqlite":
                # SQLite: INTEGER up to 2**63 - 1, zero-padded TEXT above.
                columns[index] = [v if v is None or v <= _INT64_MAX else f"{v:078d}" for v in columns[index]]
            continue
        processor = column_type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            columns[index] = list(map(processor, columns[index]))
    return list(zip(*columns, strict=True))


def _placeholder(paramstyle: str, position: int) -> str:
    if paramstyle == "qmark":
        return "?"
    if paramstyle == "numeric":
        return f":{position + 1}"
    return "%s"  # format, pyformat (psycopg)


def insert_rows(connection: Connection, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert `rows` (dicts with the same keys) into `table` at once."""
    if not rows:
        return
    names = tuple(rows[0])
    insert_tuples(connection, table, names, _convert_columns(table, names, rows, connection.dialect))


def insert_values(
    connection: Connection, table: Table, names: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert rows given as tuples of Python values for columns `names` (converted as
    `insert_rows` converts dicts: only the columns whose type needs it are read out)."""
    if not rows:
        return
    dialect = connection.dialect
    converted: dict[int, list[Any]] = {}
    for index, name in enumerate(names):
        column_type = table.c[name].type
        if isinstance(column_type, Uint256):
            values = list(map(itemgetter(index), rows))
            if not _fits_int64(values) and dialect.name == "sqlite":
                converted[index] = [v if v is None or v <= _INT64_MAX else f"{v:078d}" for v in values]
            continue
        processor = column_type.dialect_impl(dialect).bind_processor(dialect)
        if processor is not None:
            converted[index] = list(map(processor, map(itemgetter(index), rows)))
    if converted:
        columns = [
            converted[index] if index in converted else list(map(itemgetter(index), rows))
            for index in range(len(names))
        ]
        rows = list(zip(*columns, strict=True))
    insert_tuples(connection, table, names, rows)


def insert_tuples(
    connection: Connection, table: Table, names: Sequence[str], params: Sequence[Sequence[Any]]
) -> None:
    """Insert rows given as tuples of values for columns `names`, already in the form the
    database driver takes (ints, strings, JSON text...): no type conversion happens here."""
    if not params:
        return
    dialect = connection.dialect
    names = tuple(names)
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(quote(name) for name in names)
    target = dialect.identifier_preparer.format_table(table)
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            with cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
                for values in params:
                    copy.write_row(values)
        finally:
            cursor.close()
        return
    key = (dialect.name, table.name, names)
    sql = _SQL.get(key)
    if sql is None:
        marks = ", ".join(_placeholder(dialect.paramstyle, i) for i in range(len(names)))
        # Only identifiers from our own table metadata, quoted by the dialect, enter the SQL.
        sql = _SQL[key] = f"INSERT INTO {target} ({columns}) VALUES ({marks})"  # noqa: S608
    connection.exec_driver_sql(sql, params)
