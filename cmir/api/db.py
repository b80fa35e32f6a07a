"""Read-only database access: engines with statement timeouts, the SQL functions SQLite needs,
and `Database`, which opens each request's read transaction on the event loop or on a worker
thread (`Database.transaction`, the routes' `cmir.api.deps.Conn`)."""

from __future__ import annotations

import math
import sqlite3
import time
import urllib.parse
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import ExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.to_thread
from anyio import CapacityLimiter
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.pool import QueuePool

from cmir.api.errors import ConfigurationError
from cmir.api.text import SQLITE_FUNCTIONS
from cmir.store.session import normalize_url

T = TypeVar("T")


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


class _Deadline:
    """When the running statement of one SQLite connection must stop (``at``, monotonic)."""

    __slots__ = ("at", "seconds")

    def __init__(self, seconds: float) -> None:
        self.at = math.inf
        self.seconds = seconds

    def expired(self) -> int:
        """The progress handler: non-zero interrupts the statement ("interrupted")."""
        return int(time.monotonic() > self.at)


class _DeadlineCursor(sqlite3.Cursor):
    """Arms its connection's statement deadline as each statement starts. Every query goes
    through here (SQLAlchemy's, and `cmir.api.statements.Prepared`'s on the raw cursor), so this
    is the one place the statement timeout is armed."""

    def execute(self, sql: str, parameters: Any = (), /) -> _DeadlineCursor:
        """Execute `sql` with the deadline armed for the statement timeout."""
        deadline: _Deadline = self.connection.deadline  # type: ignore[attr-defined]
        deadline.at = time.monotonic() + deadline.seconds
        super().execute(sql, parameters)
        return self


class _ReadConnection(sqlite3.Connection):
    """A SQLite connection whose cursors arm its statement deadline."""

    deadline: _Deadline

    def cursor(self, factory: Any = _DeadlineCursor) -> Any:
        """A cursor arming the deadline (unless another `factory` is given)."""
        return super().cursor(factory)


def _sqlite_setup(connection: _ReadConnection) -> None:
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
    for name, arguments, function in SQLITE_FUNCTIONS:
        connection.create_function(name, arguments, function, deterministic=True)
    connection.create_aggregate("cmir_sum", 1, _ExactSum)  # type: ignore[arg-type]
    connection.set_progress_handler(connection.deadline.expired, 20_000)


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
            connection = sqlite3.connect(
                target, uri=True, check_same_thread=False, timeout=5, factory=_ReadConnection
            )
            connection.deadline = _Deadline(timeout)
            return connection

        engine = create_engine(
            "sqlite://", creator=creator, poolclass=QueuePool, pool_size=pool_size, max_overflow=pool_size
        )

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            _sqlite_setup(dbapi_connection)

        @event.listens_for(engine, "begin")
        def _begin(connection: Connection) -> None:
            # on the DBAPI connection: SQLAlchemy's execution path (exec_driver_sql) costs about
            # 25 µs, half the cost of opening a request's transaction
            connection.connection.dbapi_connection.execute("BEGIN")  # type: ignore[union-attr]

        @event.listens_for(engine, "checkin")
        def _reset(dbapi_connection: Any, _record: Any) -> None:
            if dbapi_connection is not None:  # None once invalidated
                dbapi_connection.deadline.at = math.inf  # back in the pool: nothing runs

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
    """The engine, and where each request's read transaction runs: inline on the event loop's
    thread (`threads` = 0, SQLite's default), or on a pool of `threads` worker threads."""

    def __init__(self, engine: Engine, threads: int) -> None:
        self.engine = engine
        self.inline = threads == 0
        self.limiter = CapacityLimiter(max(threads, 1))
        self._kept: Connection | None = None  # inline reads' connection (`_on_loop`)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """One read transaction (a request's, see `cmir.api.deps.Conn`). Inline, it is opened
        on the event loop, where the routes then run start to end without yielding: requests are
        served in arrival order and no thread hop or GIL hand-off is paid (SQLite's statements
        are short and CPU-bound, threads would only interleave them). Otherwise it is opened
        and closed on a worker thread (a PostgreSQL round trip), and at most `threads`
        transactions are open at once in the process."""
        if self.inline:
            with self._on_loop() as connection:
                yield connection
            return
        async with self.limiter:
            with anyio.CancelScope(shield=True):  # a connection opened is always closed
                connection, stack = await anyio.to_thread.run_sync(self._begin)
            failure: BaseException | None = None
            try:
                yield connection
            except BaseException as exc:
                failure = exc
                raise
            finally:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(self._end, stack, failure)

    @contextmanager
    def _on_loop(self) -> Iterator[Connection]:
        # Inline reads run one at a time on the event loop's thread, so they share one kept
        # connection: checking a pooled one out and back in cost as much as the rest of an
        # empty transaction. A read that starts while the kept one is still in a transaction
        # (a route that waited while holding it) takes a pooled connection instead.
        kept = self._kept
        if kept is not None and kept.in_transaction():
            with self.engine.connect() as connection, connection.begin():
                yield connection
            return
        if kept is None:
            kept = self._kept = self.engine.connect()
        try:
            with kept.begin():
                yield kept
        except BaseException:
            self._kept = None  # back to the pool (rolled back); the next read checks one out
            kept.close()
            raise

    def _begin(self) -> tuple[Connection, ExitStack]:
        with ExitStack() as stack:
            connection = stack.enter_context(self.engine.connect())
            stack.enter_context(connection.begin())
            return connection, stack.pop_all()

    @staticmethod
    def _end(stack: ExitStack, failure: BaseException | None) -> None:
        # as a `with` block ends: commit, or roll back on `failure`; then the connection is returned
        if failure is None:
            stack.close()
        else:
            stack.__exit__(type(failure), failure, failure.__traceback__)

    async def run(self, fn: Callable[[Connection], T]) -> T:
        """``fn(connection)`` inside one read transaction, inline or on a worker thread as
        `transaction` does: for reads that are not a route's `Conn` (the response cache's
        checkpoint clock; the health check, which reports a failure instead of raising it; the
        reconciliation, whose transaction ends before the chain is read)."""
        if self.inline:
            with self._on_loop() as connection:
                return fn(connection)
        return await anyio.to_thread.run_sync(self.call, fn, limiter=self.limiter)

    def call(self, fn: Callable[[Connection], T]) -> T:
        """``fn(connection)`` inside one read transaction, on this thread."""
        with self.engine.connect() as connection, connection.begin():
            return fn(connection)

    def dispose(self) -> None:
        """Close the pooled connections."""
        if self._kept is not None:
            self._kept.close()
            self._kept = None
        self.engine.dispose()
