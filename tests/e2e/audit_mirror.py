"""The real indexer and API over a test chain, for the auditor's tests: `index_once` runs
`cmir index --once` into a fresh SQLite file, `Mirror.serving` starts `cmir serve` over it (a new
process each time, so no response cached before a doctoring survives it), and `Mirror.doctored`
alters rows of the file as an attacker with write access to the API's database would, then puts
them back. Everything listens on 127.0.0.1 only."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from cmir.dev.devchain import free_port, rpc
from tests.e2e.helpers import ROOT, base_env, cmir

#: One table's row (matched by `where`, every column equal) and the values written over it.
Doctoring = tuple[str, Mapping[str, Any], Mapping[str, Any]]


@dataclass(frozen=True)
class Mirror:
    """The indexer's SQLite file for the chain at `rpc_url`, indexed up to block `block`."""

    rpc_url: str
    record_path: Path
    database: Path
    block: int

    def env(self) -> dict[str, str]:
        """The `cmir index` / `cmir serve` environment pointing at this mirror."""
        return {
            **base_env(),
            "CMIR_DATABASE_URL": f"sqlite:///{self.database}",
            "CMIR_RPC_URL": self.rpc_url,
            "CMIR_DEPLOYMENT_FILE": str(self.record_path),
        }

    @contextmanager
    def serving(self, timeout: float = 60) -> Iterator[str]:
        """`cmir serve` (one worker, on a free port) over the mirror; yields its base URL once its
        health check answers with the mirror's block. Stopped by its own pid afterwards."""
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        log = self.database.with_name(f"api-{port}.log")
        env = {**self.env(), "CMIR_HOST": "127.0.0.1", "CMIR_PORT": str(port), "CMIR_WORKERS": "1"}
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "cmir.apps.cli", "serve"],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + timeout
            while not self._ready(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        f"the API did not serve block {self.block}:\n{log.read_text()[-3000:]}"
                    )
                time.sleep(0.1)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _ready(self, url: str) -> bool:
        try:
            health = requests.get(f"{url}/api/v1/health", timeout=5)
        except requests.ConnectionError:
            return False
        if health.status_code != 200:  # 503: the database cannot be read (yet)
            return False
        return (health.json().get("indexer") or {}).get("checkpoint_block") == self.block

    @contextmanager
    def doctored(self, rows: Sequence[Doctoring]) -> Iterator[None]:
        """Each row's `changes` written over it (the one row of its table matching `where`),
        then its old values back."""
        restore: list[Doctoring] = []
        try:
            with closing(sqlite3.connect(self.database, timeout=30)) as connection, connection:
                for table, where, changes in rows:
                    condition = " AND ".join(f"{column} = ?" for column in where) or "1 = 1"
                    query = f"SELECT {', '.join(changes)} FROM {table} WHERE {condition}"  # noqa: S608
                    found = connection.execute(query, list(where.values())).fetchall()
                    assert len(found) == 1, f"{len(found)} rows of {table} match {dict(where)}"
                    _update(connection, table, where, changes)
                    restore.append((table, where, dict(zip(changes, found[0], strict=True))))
            yield
        finally:
            with closing(sqlite3.connect(self.database, timeout=30)) as connection, connection:
                for table, where, before in reversed(restore):
                    _update(connection, table, where, before)


def _update(
    connection: sqlite3.Connection, table: str, where: Mapping[str, Any], values: Mapping[str, Any]
) -> None:
    assignments = ", ".join(f"{column} = ?" for column in values)
    condition = " AND ".join(f"{column} = ?" for column in where) or "1 = 1"
    connection.execute(
        f"UPDATE {table} SET {assignments} WHERE {condition}",  # noqa: S608 (the test's own names)
        [*values.values(), *where.values()],
    )


def index_once(rpc_url: str, record_path: Path, folder: Path, confirmations: int = 0) -> Mirror:
    """`cmir index --once` over the chain at `rpc_url` into `folder`/index.sqlite3 (created, or
    carried on from its checkpoint) up to `confirmations` blocks behind the head: the mirror at
    that block (the chain's head must not move while the mirror is used)."""
    head = int(rpc(rpc_url, "eth_blockNumber"), 16)
    mirror = Mirror(rpc_url, record_path, folder / "index.sqlite3", head - confirmations)
    env = {**mirror.env(), "CMIR_CONFIRMATIONS": str(confirmations)}
    done = cmir("index", "--once", "--log-level", "WARNING", env=env)
    assert done.code == 0, done.text[-4000:]
    return mirror
