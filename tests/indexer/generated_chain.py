"""A long generated chain for the crash and RPC-fault tests: the real contracts, deployed and
driven by `BatchMember` helpers exactly as `python -m cmir.dev.bench.indexer` does,
cached under ``.build/bench/`` by the contracts' bytecode, and served by a fresh anvil."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import make_url

from cmir.dev.bench.indexer import ROOT, AnvilProcess, Chain, ChainPlan, build_chain, serve
from cmir.store import Checkpoint, RawEvent
from tests.indexer.indexer_mirror import engine_for

#: About 20,000 events in about 1,000 blocks (20 pool calls per block).
CRASH_PLAN = ChainPlan(events=20_000, helpers=4, calls_per_tx=20, txs_per_block=1, claim_every=53)


@dataclass
class Served:
    """A generated chain and the anvil serving it."""

    chain: Chain
    anvil: AnvilProcess

    @property
    def url(self) -> str:
        """The anvil's JSON-RPC URL."""
        return self.anvil.url

    @property
    def record(self) -> Path:
        """The deployment record."""
        return self.chain.record


@contextmanager
def served_chain(plan: ChainPlan = CRASH_PLAN) -> Iterator[Served]:
    """The plan's chain (generated once, then loaded from the cache) on its own anvil."""
    chain = build_chain(plan, report=False)
    with serve(chain) as anvil:
        yield Served(chain, anvil)


def indexer_env(rpc_url: str, record: Path, db_url: str, **settings: Any) -> dict[str, str]:
    """The environment of a ``python -m cmir.indexer`` subprocess: CMIR_* settings."""
    env = dict(os.environ)
    env.update(
        {
            "CMIR_DATABASE_URL": db_url,
            "CMIR_RPC_URL": rpc_url,
            "CMIR_DEPLOYMENT_FILE": str(record),
        }
    )
    env.update({f"CMIR_{key.upper()}": str(value) for key, value in settings.items()})
    return env


def start_indexer(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    """``python -m cmir.indexer --once`` (or `args`) as a subprocess, its output appended to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 (this interpreter, the project's indexer)
            [sys.executable, "-m", "cmir.indexer", *(args or ("--once",))],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def checkpoint(db_url: str) -> int | None:
    """The checkpoint's block (None before the schema or the checkpoint row exists)."""
    try:
        with engine_for(db_url).connect() as connection:
            value = connection.execute(select(Checkpoint.block_number)).scalar()
    except Exception:  # no table yet: the indexer is still migrating
        return None
    return int(value) if value is not None else None


def schema_committed(db_url: str) -> bool:
    """Whether the migrations' work is committed (the ``alembic_version`` table is visible)."""
    with engine_for(db_url).connect() as connection:
        return inspect(connection).has_table("alembic_version")


#: SQLite's WAL write lock: a POSIX lock on this byte of the ``-shm`` file (os_unix.c).
SQLITE_WAL_WRITE_LOCK_BYTE = 120


def writing(db_url: str, pid: int) -> bool:
    """Whether the writer `pid` holds a write transaction open on the database, seen without
    touching its locks: on SQLite, `pid` holds the WAL write lock (in /proc/locks); on
    PostgreSQL, a session other than the test's has a transaction id (it has written)."""
    url = make_url(db_url)
    if url.get_backend_name() != "sqlite":
        with engine_for(db_url).connect() as connection:
            return bool(
                connection.execute(
                    text(
                        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database()"
                        " AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL)"
                    )
                ).scalar()
            )
    try:
        shm = os.stat(f"{url.database}-shm")
    except FileNotFoundError:
        return False
    file = f"{os.major(shm.st_dev):02x}:{os.minor(shm.st_dev):02x}:{shm.st_ino}"
    for line in Path("/proc/locks").read_text().splitlines():
        # "1: POSIX  ADVISORY  WRITE 4200 fe:00:2146483 120 120" (waiters have a "->" field)
        fields = line.split()
        if len(fields) != 8 or fields[1] != "POSIX" or fields[3] != "WRITE":
            continue
        if fields[4] != str(pid) or fields[5] != file:
            continue
        first, last = int(fields[6]), fields[7]
        if first <= SQLITE_WAL_WRITE_LOCK_BYTE and (last == "EOF" or SQLITE_WAL_WRITE_LOCK_BYTE <= int(last)):
            return True
    return False


def raw_counts(db_url: str) -> tuple[int, int]:
    """(raw events, distinct (tx hash, log index) among them)."""
    with engine_for(db_url).connect() as connection:
        total = connection.execute(select(func.count()).select_from(RawEvent)).scalar_one()
        distinct = connection.execute(
            text("SELECT COUNT(*) FROM (SELECT DISTINCT chain_id, tx_hash, log_index FROM raw_events) AS k")
        ).scalar_one()
    return int(total), int(distinct)


def children_of(pid: int) -> list[int]:
    """The live child processes of `pid` (Linux /proc)."""
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def process_state(pid: int) -> str | None:
    """The state letter of process `pid` in /proc (R, S, T for stopped, Z...), None once gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return None


def alive(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie."""
    return process_state(pid) not in (None, "Z")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Kill our own subprocess (by its pid) if it still runs, and reap it."""
    if process.poll() is None:
        process.kill()
    process.wait()
