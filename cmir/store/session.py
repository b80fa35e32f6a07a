"""Engines for SQLite (WAL) and PostgreSQL, and the Alembic migration run at start."""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

from cmir.chain.errors import ConfigurationError, DatabaseError

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def normalize_url(url: str) -> str:
    """Use the psycopg 3 driver for ``postgresql://`` and ``postgres://`` URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, *, wal_autocheckpoint: int = 16384, writer: bool = False, **kwargs: Any) -> Engine:
    """An engine for `url`. SQLite files get WAL, ``synchronous=NORMAL`` (durable against a
    killed process) and a busy timeout, so API readers and the one writer do not block.
    `wal_autocheckpoint` (pages) is when a commit on SQLite copies the WAL into the database
    itself, waiting for the disk; the indexer raises it and runs a `WalCheckpointer` instead.

    `writer`: the engine of a process that writes beside others (the indexer, and the relayer's
    desk and sender, on one SQLite file): its transactions take the write lock when they begin
    (``BEGIN IMMEDIATE``), waiting the busy timeout for another's. A transaction begun for
    reading that writes later fails at once ("database is locked", not waited for) when another
    process committed in between; the indexer died of it beside the relayer."""
    url = normalize_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigurationError(f"bad database URL {url!r}: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            parent = Path(database).expanduser().resolve().parent
            if not parent.is_dir():
                raise ConfigurationError(f"database folder {parent} does not exist")
        engine = create_engine(parsed, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy's transactions be SQLite's own (the driver would otherwise commit
            # DDL on its own and begin lazily): migrations and batches are then atomic.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA cache_size=-16384")  # 16 MiB (pages past it spill to the WAL)
            cursor.execute(f"PRAGMA wal_autocheckpoint={int(wal_autocheckpoint)}")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    try:
        return create_engine(parsed, **kwargs)
    except (ImportError, SQLAlchemyError) as exc:
        raise ConfigurationError(f"cannot use database URL {parsed!r}: {exc}") from None


def sqlite_file(engine: Engine) -> Path | None:
    """The database file of a SQLite engine (None for other databases and in-memory SQLite)."""
    if engine.url.get_backend_name() != "sqlite":
        return None
    database = engine.url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).expanduser().resolve()


class WalCheckpointer:
    """Copies SQLite's write-ahead log into the database from a background thread (a
    ``PASSIVE`` checkpoint on its own connection, whenever the log has grown past
    `threshold_bytes`), so that the writer's commits never wait for the disk's ``fsync``. The
    checkpoint runs in SQLite's C code without the GIL, beside the writer's work. Durability is
    unchanged: a commit is in the log either way, and a checkpoint never blocks a commit."""

    def __init__(self, path: Path, threshold_bytes: int = 16 << 20, interval: float = 0.25) -> None:
        self.path = path
        self.wal = path.with_name(path.name + "-wal")
        self.threshold_bytes = threshold_bytes
        self.interval = interval
        self.checkpoints = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cmir-wal-checkpoint", daemon=True)

    def __enter__(self) -> WalCheckpointer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        connection: sqlite3.Connection | None = None
        checkpointed = -1  # the log's modification time at the last checkpoint
        try:
            while not self._stop.wait(self.interval):
                try:
                    wal = self.wal.stat()
                except FileNotFoundError:
                    continue
                # The log is reused, not truncated, after a checkpoint: its size alone would
                # say "checkpoint" every time; its modification time says whether it changed.
                if wal.st_size < self.threshold_bytes or wal.st_mtime_ns == checkpointed:
                    continue
                checkpointed = wal.st_mtime_ns
                if connection is None:
                    connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                    connection.execute("PRAGMA busy_timeout=30000")
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                self.checkpoints += 1
        except sqlite3.Error as exc:  # the writer's own commits still work; its close checkpoints
            log.warning("background WAL checkpoints stopped: %s", exc)
        finally:
            if connection is not None:
                connection.close()


def alembic_config(url: str) -> Any:
    """The Alembic configuration of the mirror's migrations, for `url`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (the indexer runs this at start: schema only via Alembic)."""
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except OperationalError as exc:
        raise DatabaseError(f"cannot migrate {engine.url!r}: {exc.orig}") from None


def current_revision(engine: Engine) -> str | None:
    """The schema's Alembic revision, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return MigrationContext.configure(connection).get_current_revision()
