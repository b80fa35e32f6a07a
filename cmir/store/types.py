"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, Integer, Numeric
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine, UserDefinedType

UINT256_MAX = (1 << 256) - 1
_INT64_MAX = (1 << 63) - 1


class _SqliteUint256(UserDefinedType[Any]):
    """SQLite storage of a uint256. The declared type contains "BLOB", which gives the column
    BLOB affinity: SQLite stores values as given, never converting them to REAL."""

    cache_ok = True

    def get_col_spec(self, **kw: Any) -> str:
        return "DECIMAL_BLOB"


class Uint256(TypeDecorator[int]):
    """An exact unsigned 256-bit integer, read and written as a Python ``int``.

    PostgreSQL: ``NUMERIC(78, 0)``. SQLite: values that fit 64 bits are stored as INTEGER and
    larger ones as 78-digit zero-padded TEXT. SQLite orders every INTEGER before every TEXT, and
    zero-padded TEXT in numeric order, so ``=``, ``<`` and ``ORDER BY`` stay exact; SQL
    arithmetic (``SUM``) on SQLite is exact only below 2**63 and should be done in Python.
    """

    impl = Numeric(78, 0)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_SqliteUint256())
        return dialect.type_descriptor(Numeric(78, 0))

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        number = int(value)
        if number < 0 or number > UINT256_MAX:
            raise ValueError(f"{number} is not a uint256")
        if dialect.name == "sqlite":
            return number if number <= _INT64_MAX else f"{number:078d}"
        return Decimal(number)

    def process_result_value(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        return int(value)


# JSON documents: JSONB on PostgreSQL (indexable), JSON text on SQLite. Integers stay exact.
Json = JSON().with_variant(JSONB(), "postgresql")

# An auto-incrementing 64-bit key (SQLite only auto-increments INTEGER PRIMARY KEY).
BigId = BigInteger().with_variant(Integer(), "sqlite")
