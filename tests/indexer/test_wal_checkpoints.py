"""The indexer's background WAL checkpoints on SQLite: the writer's commits never checkpoint
(autocheckpoint raised), a thread copies the log into the database beside them."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from sqlalchemy import text

from indexer.db.session import WalCheckpointer, make_engine, sqlite_file


def test_the_background_thread_checkpoints_the_log(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.sqlite3'}", wal_autocheckpoint=262_144)
    path = sqlite_file(engine)
    assert path == tmp_path / "w.sqlite3"
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x BLOB)"))
    with WalCheckpointer(path, threshold_bytes=1 << 20, interval=0.05) as checkpointer:
        for _ in range(8):
            with engine.begin() as connection:
                connection.execute(text("INSERT INTO t VALUES (randomblob(262144))"))
        deadline = time.monotonic() + 10
        while checkpointer.checkpoints == 0:
            assert time.monotonic() < deadline, "no checkpoint"
            time.sleep(0.05)
    # While the writer's connection is still open (no checkpoint on close yet), the database
    # file itself holds every row: a reader that ignores the log (immutable mode) sees them.
    with engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM t")).scalar_one() == 8
        reader = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
        try:
            assert reader.execute("SELECT COUNT(*) FROM t").fetchone() == (8,)
        finally:
            reader.close()
    engine.dispose()


def test_only_sqlite_files_get_a_checkpointer() -> None:
    assert sqlite_file(make_engine("sqlite:///:memory:")) is None
    assert sqlite_file(make_engine("postgresql://u@127.0.0.1/db")) is None
