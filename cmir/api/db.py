"""Read-only database access: engines with statement timeouts, SQL helper functions on SQLite,
and `Database.run`, which runs one function over one read transaction in a worker thread."""

from __future__ import annotations

import json
import math
import sqlite3
import time
import unicodedata
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio.to_thread
from anyio import CapacityLimiter
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import QueuePool

from cmir.api.errors import ConfigurationError
from cmir.api.territories import department_of
from cmir.store.session import normalize_url

T = TypeVar("T")

_FOLD_EXTRA = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "\u2019": "'"})


def fold(text: str) -> str:
    """Lower case without accents (``"Épicerie"`` → ``"epicerie"``): how text is compared."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD_EXTRA))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


DOC_TEXT_FIELDS = ("name", "legalForm", "description", "themes", "territories")


def doc_text(raw: str | None) -> str:
    """The searchable text of an ESS project's metadata document (JSON text), folded."""
    if not raw:
        return ""
    try:
        doc = json.loads(raw)
    except ValueError:
        return ""
    if not isinstance(doc, dict):
        return ""
    parts: list[str] = []
    for key in DOC_TEXT_FIELDS:
        value = doc.get(key)
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):
            parts.extend(v for v in value if isinstance(v, str))
    return fold(" ".join(parts))


def doc_list(raw: str | None, key: str) -> list[str]:
    """The strings of list `key` in a metadata document (JSON text); a lone string counts as one."""
    if not raw:
        return []
    try:
        doc = json.loads(raw)
    except ValueError:
        return []
    value = doc.get(key) if isinstance(doc, dict) else None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def clean_doc(doc: Any, description_max: int) -> dict[str, Any]:
    """The directory's fields of a metadata document, typed and cut to bounded sizes."""
    if not isinstance(doc, dict):
        return {"name": None, "legalForm": None, "description": None, "themes": [], "territories": []}

    def text(key: str, limit: int) -> str | None:
        value = doc.get(key)
        return value[:limit] if isinstance(value, str) else None

    def strings(key: str, count: int, limit: int) -> list[str]:
        value = doc.get(key)
        items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        return [v[:limit] for v in items if isinstance(v, str)][:count]

    return {
        "name": text("name", 200),
        "legalForm": text("legalForm", 200),
        "description": text("description", description_max),
        "themes": strings("themes", 20, 100),
        "territories": strings("territories", 50, 20),
    }


def _doc_summary(raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        doc = json.loads(raw)
    except ValueError:
        return None
    return json.dumps(clean_doc(doc, 500))


def _has_item(raw: str | None, key: str, wanted: str) -> int:
    return int(any(fold(v) == wanted for v in doc_list(raw, key)))


def _in_departments(raw: str | None, departments: str) -> int:
    wanted = set(departments.split(","))
    return int(any(department_of(v) in wanted for v in doc_list(raw, "territories")))


class _ExactSum:
    """``cmir_sum``: an exact integer sum on SQLite, whose own ``sum`` turns values past 2**63
    (stored as text by `Uint256`) into floats. Returns the decimal text of the sum."""

    def __init__(self) -> None:
        self.total = 0

    def step(self, value: Any) -> None:
        if value is not None:
            self.total += int(value)

    def finalize(self) -> str:
        return str(self.total)


def _sqlite_setup(connection: sqlite3.Connection, holder: list[float]) -> None:
    connection.isolation_level = None  # transactions are ours (BEGIN in the "begin" event)
    cursor = connection.cursor()
    for pragma in (
        "PRAGMA query_only=ON",
        "PRAGMA busy_timeout=5000",
        "PRAGMA cache_size=-32768",
        "PRAGMA mmap_size=268435456",
        "PRAGMA temp_store=MEMORY",
    ):
        cursor.execute(pragma)
    cursor.close()
    connection.create_function(
        "cmir_fold", 1, lambda s: fold(s) if isinstance(s, str) else s, deterministic=True
    )
    connection.create_function("cmir_doc_text", 1, doc_text, deterministic=True)
    connection.create_function("cmir_doc_summary", 1, _doc_summary, deterministic=True)
    connection.create_function("cmir_has_item", 3, _has_item, deterministic=True)
    connection.create_function("cmir_in_departments", 2, _in_departments, deterministic=True)
    connection.create_aggregate("cmir_sum", 1, _ExactSum)  # type: ignore[arg-type]
    connection.set_progress_handler(lambda: int(time.monotonic() > holder[0]), 20_000)


def arm_deadline(info: dict[str, Any]) -> None:
    """Start the statement timeout of a SQLite connection (its pool record's `info`) for the
    statement about to run; PostgreSQL connections have none here (the server enforces it)."""
    holder = info.get("deadline")
    if holder is not None:
        holder[0] = time.monotonic() + info["statement_timeout"]


def make_read_engine(url: str, *, statement_timeout_ms: int, pool_size: int) -> Engine:
    """An engine that only reads. SQLite: the file must exist (never created), ``query_only``,
    each statement interrupted past the timeout by a progress handler, one snapshot per
    transaction. PostgreSQL: read-only REPEATABLE READ transactions with ``statement_timeout``."""
    url = normalize_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError(f"bad database URL {url!r}: {exc}") from None
    timeout = statement_timeout_ms / 1000
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if not database or database == ":memory:":
            raise ConfigurationError("the API reads the indexer's SQLite file: give its path")
        path = Path(database).expanduser().resolve()
        target = f"file:{urllib.parse.quote(str(path))}?mode=rw"

        def creator() -> sqlite3.Connection:
            return sqlite3.connect(target, uri=True, check_same_thread=False, timeout=5)

        engine = create_engine(
            "sqlite://", creator=creator, poolclass=QueuePool, pool_size=pool_size, max_overflow=pool_size
        )

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, record: Any) -> None:
            holder = [math.inf]
            record.info["deadline"] = holder
            record.info["statement_timeout"] = timeout
            _sqlite_setup(dbapi_connection, holder)

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            connection.exec_driver_sql("BEGIN")

        @event.listens_for(engine, "before_cursor_execute")
        def _deadline(connection: Connection, *_args: Any) -> None:
            arm_deadline(connection.connection.info)

        @event.listens_for(engine, "checkin")
        def _reset(_dbapi_connection: Any, record: Any) -> None:
            holder = record.info.get("deadline")
            if holder is not None:
                holder[0] = math.inf

        return engine
    try:
        return create_engine(
            parsed,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,
            pool_timeout=10,
            isolation_level="REPEATABLE READ",
            connect_args={
                "options": f"-c statement_timeout={statement_timeout_ms}"
                " -c default_transaction_read_only=on -c idle_in_transaction_session_timeout=60000",
                "connect_timeout": 5,
            },
        )
    except (ImportError, ArgumentError) as exc:
        raise ConfigurationError(f"cannot use database URL {parsed!r}: {exc}") from None


class Database:
    """The engine, and how each request's queries run: on a pool of worker threads, or inline on
    the event loop's thread (`threads` = 0)."""

    def __init__(self, engine: Engine, threads: int) -> None:
        self.engine = engine
        self.inline = threads == 0
        self.limiter = CapacityLimiter(max(threads, 1))

    async def run(self, fn: Callable[[Connection], T]) -> T:
        """``fn(connection)`` inside one read transaction. Inline, the request runs start to end
        without yielding, so requests are served in arrival order and no thread hop or GIL
        hand-off is paid; SQLite's statements are short and CPU-bound, so threads would only
        interleave them."""
        if self.inline:
            return self.call(fn)
        return await anyio.to_thread.run_sync(self.call, fn, limiter=self.limiter)

    def call(self, fn: Callable[[Connection], T]) -> T:
        """``fn(connection)`` inside one read transaction, on this thread."""
        with self.engine.connect() as connection, connection.begin():
            return fn(connection)

    def dispose(self) -> None:
        """Close the pooled connections."""
        self.engine.dispose()
