"""The indexer's background WAL checkpoints on SQLite: the writer's commits never checkpoint
(autocheckpoint raised), a thread copies the log into the database beside them."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlalchemy import text

from cmir.store.session import WalCheckpointer, make_engine, sqlite_file


def rows_in_the_file(path: Path) -> int:
    """Rows of ``t`` in the database file itself, its log ignored (immutable mode): 0 while the
    table is only in the log."""
    reader = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
    try:
        return int(reader.execute("SELECT COUNT(*) FROM t").fetchone()[0])
    except sqlite3.OperationalError:  # no such table: its creation is still only in the log
        return 0
    finally:
        reader.close()


def test_the_background_thread_checkpoints_the_log(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.sqlite3'}", wal_autocheckpoint=262_144)
    path = sqlite_file(engine)
    assert path == tmp_path / "w.sqlite3"
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x BLOB)"))
    for _ in range(8):
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (randomblob(262144))"))
    # The commits did not checkpoint: the rows are only in the log (2 MiB of it).
    assert rows_in_the_file(path) == 0
    # Every commit is done before the thread starts, so its first checkpoint copies them all
    # (one that ran between two commits would leave the later ones in the log).
    with WalCheckpointer(path, threshold_bytes=1 << 20, interval=0.05) as checkpointer:
        deadline = time.monotonic() + 60
        while checkpointer.checkpoints == 0:
            assert time.monotonic() < deadline, "no checkpoint"
            time.sleep(0.05)
    # While the writer's connection is still open (no checkpoint on close yet), the database
    # file itself holds every row: a reader that ignores the log (immutable mode) sees them.
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM t")).scalar_one() == 8
        assert rows_in_the_file(path) == 8
    engine.dispose()


def test_only_sqlite_files_get_a_checkpointer() -> None:
    assert sqlite_file(make_engine("sqlite:///:memory:")) is None
    assert sqlite_file(make_engine("postgresql://u@127.0.0.1/db")) is None
