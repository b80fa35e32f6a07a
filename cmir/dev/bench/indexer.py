"""Benchmark: ``python -m cmir.dev.bench.indexer`` (from the repository root, in the project's .venv).

1. Starts its own anvil and builds a chain holding at least ``--events`` events of the real
   contracts (`cmir.dev.bench.chain`): the deployment, then `BatchMember` helper contracts that
   join as members and call the pool many times per transaction (relations paid, contributions,
   claims), mined into blocks of one such transaction (40 pool calls) each, a few seconds apart
   so that the pool's epochs end every few blocks (points mature, claims pay), with founders'
   claims and governance proposals (`cmir.dev.bench.governance`: the epoch length, the reward cap, the
   shares and weights changed, a helper excluded) on the way. The chain is saved with ``anvil
   --dump-state`` under ``.build/bench/`` keyed by the contracts' bytecode and the generation
   parameters, and reloaded with ``--load-state`` on the next run.
2. Indexes the whole chain with the real indexer, run as a subprocess (``python -m cmir.indexer
   --once``) into a fresh SQLite file (or ``--database-url``), projections included. Its peak
   memory covers the writer and its prefetch child: the larger of their summed PSS (sampled)
   and the largest single process's RSS (``wait4``).
3. Runs the baseline on the same chain: the textbook loop, web3.py ``get_logs`` per 1,000
   blocks, ``process_log`` per event, one ORM insert and one commit per event into another
   SQLite file (with the indexer's own WAL settings, so that only the method differs), over the
   first ``--baseline-events`` events (its rate is what is compared).

The last line printed is ``events_per_s=<n> baseline_events_per_s=<n> ratio=<n> peak_rss_mb=<n>``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils.crypto import keccak
from sqlalchemy import JSON, BigInteger, Integer, String, UniqueConstraint, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from cmir.chain.abi import canonical_type
from cmir.dev.bench.chain import ROOT, AnvilProcess, Chain, ChainPlan, build_chain, count_logs, say, serve

__all__ = [
    "ROOT",
    "AnvilProcess",
    "Chain",
    "ChainPlan",
    "build_chain",
    "count_logs",
    "main",
    "run_baseline",
    "run_indexer",
    "serve",
]


# ---------------------------------------------------------------------------------------- indexer


@dataclass
class IndexerRun:
    """What one indexer subprocess did."""

    seconds: float
    events: int
    peak_rss_mb: float
    cpu_seconds: float
    output: str
    max_process_rss_mb: float
    tree_pss_mb: float
    tree_rss_sum_mb: float


def _tree(root: int) -> list[int]:
    """`root` and its descendants (Linux: /proc/<pid>/task/<tid>/children)."""
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    stack.extend(int(child) for child in children.read().split())
            except OSError:
                continue
    return found


def _memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process in KiB; PSS counts a page shared by n processes as 1/n (a
    forked child shares most of its parent's pages), so PSS adds up across processes."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Rss:"):
                    rss = int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def run_indexer(
    rpc_url: str, record: Path, database_url: str, env: dict[str, str] | None = None
) -> IndexerRun:
    """``python -m cmir.indexer --once`` as a subprocess. Its peak memory is the larger of the kernel's
    figure (``wait4``'s maximum RSS: of the process or of a reaped child, each at its own peak)
    and the peak of the process tree's memory sampled every 200 ms (the writer and its prefetch
    child together, as PSS: the pages the child shares with its parent counted once; the peak
    sum of their RSS, which counts them twice, is reported too)."""
    command = [
        sys.executable,
        "-m",
        "indexer",
        "--once",
        "--database-url",
        database_url,
        "--rpc-url",
        rpc_url,
        "--deployment",
        str(record),
    ]
    environment = dict(os.environ)
    environment.update(env or {})
    with tempfile.TemporaryFile() as output:
        started = time.monotonic()
        process = subprocess.Popen(  # noqa: S603 (this interpreter, the project's indexer)
            command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
        tree_pss = tree_rss = 0
        # Reading smaps_rollup costs a few ms per process: sampling every 20 ms would take a
        # third of a core from the indexer. Every 200 ms, plus wait4's exact per-process peak.
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            sizes = [_memory_kb(p) for p in _tree(process.pid)]
            tree_rss = max(tree_rss, sum(r for r, _ in sizes))
            tree_pss = max(tree_pss, sum(p for _, p in sizes))
            for _ in range(20):
                time.sleep(0.01)
                pid, status, usage = os.wait4(process.pid, os.WNOHANG)
                if pid:
                    break
            if pid:
                break
        seconds = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read().decode(errors="replace")
    if process.returncode != 0:
        raise RuntimeError(f"the indexer failed ({process.returncode}):\n{text[-3000:]}")
    peak_kb = max(tree_pss, usage.ru_maxrss)
    from sqlalchemy import func, select

    from cmir.store import RawEvent
    from cmir.store.session import normalize_url

    engine = create_engine(normalize_url(database_url))
    with engine.connect() as connection:
        events = int(connection.execute(select(func.count()).select_from(RawEvent)).scalar_one())
    engine.dispose()
    return IndexerRun(
        seconds,
        events,
        peak_kb / 1024,
        usage.ru_utime + usage.ru_stime,
        text,
        usage.ru_maxrss / 1024,
        tree_pss / 1024,
        tree_rss / 1024,
    )


# ---------------------------------------------------------------------------------------- baseline


class BaselineBase(DeclarativeBase):
    """The baseline's own tables (not the indexer's)."""


class LogRow(BaselineBase):
    """One event as the textbook loop stores it."""

    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("tx_hash", "log_index"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    block_number: Mapped[int] = mapped_column(BigInteger, index=True)
    block_hash: Mapped[str] = mapped_column(String(66))
    tx_hash: Mapped[str] = mapped_column(String(66))
    log_index: Mapped[int] = mapped_column(Integer)
    contract: Mapped[str] = mapped_column(String(42))
    event: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)


@dataclass
class BaselineRun:
    """What the textbook loop did."""

    seconds: float
    events: int
    fetch_seconds: float


def _plain(value: Any) -> Any:
    """web3's decoded arguments as JSON values (bytes as hex, structs as dicts)."""
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def run_baseline(rpc_url: str, record: Path, database: Path, limit: int, step: int = 1_000) -> BaselineRun:
    """The textbook loop: web3.py ``get_logs`` per `step` blocks, ``process_log`` per event, one
    ORM insert and one commit per event, into a SQLite file with the indexer's own settings (WAL,
    ``synchronous=NORMAL``), stopped after `limit` events. A ``get_logs`` call whose logs are
    only partly processed counts for that part of its time."""
    from web3 import HTTPProvider, Web3

    engine = create_engine(f"sqlite:///{database}")

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    BaselineBase.metadata.create_all(engine)
    deployment = json.loads(record.read_text())
    w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": 600}))
    events: dict[tuple[str, bytes], Any] = {}
    addresses = []
    for role, entry in deployment["contracts"].items():
        if role not in ("membership", "registry", "pool", "governor", "timelock"):
            continue
        address = Web3.to_checksum_address(entry["address"])
        addresses.append(address)
        contract = w3.eth.contract(address=address, abi=entry["abi"])
        for item in entry["abi"]:
            if item.get("type") == "event" and not item.get("anonymous"):
                types = ",".join(canonical_type(i) for i in item["inputs"])
                topic = keccak(text=f"{item['name']}({types})")
                events[(address, topic)] = contract.events[item["name"]]()
    first = int(deployment["deployment_block"])
    head = int(w3.eth.block_number)
    done = 0
    seconds = fetched = 0.0
    with Session(engine) as session:
        for start in range(first, head + 1, step):
            began = time.perf_counter()
            logs = w3.eth.get_logs(
                {"fromBlock": start, "toBlock": min(head, start + step - 1), "address": addresses}
            )
            fetch = time.perf_counter() - began
            began = time.perf_counter()
            used = 0
            for entry in logs:
                if done >= limit:
                    break
                decoded = events[(entry["address"], bytes(entry["topics"][0]))].process_log(entry)
                session.add(
                    LogRow(
                        block_number=decoded["blockNumber"],
                        block_hash="0x" + bytes(decoded["blockHash"]).hex(),
                        tx_hash="0x" + bytes(decoded["transactionHash"]).hex(),
                        log_index=decoded["logIndex"],
                        contract=decoded["address"],
                        event=decoded["event"],
                        args=_plain(decoded["args"]),
                    )
                )
                session.commit()
                done += 1
                used += 1
            share = fetch * used / len(logs) if logs else fetch
            seconds += time.perf_counter() - began + share
            fetched += share
            if done >= limit:
                break
    engine.dispose()
    return BaselineRun(seconds, done, fetched)


@contextmanager
def fresh_database(url: str | None, folder: Path) -> Iterator[str]:
    """An empty database: a new SQLite file in `folder`, or for a PostgreSQL URL a throwaway
    database created on that server (and dropped afterwards)."""
    if url is None or url.startswith("sqlite"):
        yield url or f"sqlite:///{folder / 'cmir.indexer.sqlite3'}"
        return
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from cmir.store.session import normalize_url

    name = f"cmir_bench_{os.getpid()}_{int(time.time())}"
    admin = create_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(normalize_url(url)).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    """Build (or load) the chain, run the indexer and the baseline, print the figures."""
    parser = argparse.ArgumentParser(
        prog="python -m cmir.dev.bench.indexer",
        description="Benchmark the indexer against the textbook web3.py loop on a generated chain.",
    )
    parser.add_argument("--events", type=int, default=100_000, help="events to generate, at least")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("CMIR_BENCH_DATABASE_URL"),
        help="index into this database (a PostgreSQL URL gets a throwaway database on that server;"
        " env CMIR_BENCH_DATABASE_URL); default: a fresh SQLite file",
    )
    parser.add_argument(
        "--baseline-events",
        type=int,
        default=10_000,
        help="events the baseline processes (its rate is compared)",
    )
    args = parser.parse_args(argv)
    if args.events < 1 or args.baseline_events < 1:
        parser.error("--events and --baseline-events must be positive")
    say(f"load average {_load()} (1/5/15 min) on {os.cpu_count()} cores")
    chain = build_chain(ChainPlan(events=args.events))
    with serve(chain) as anvil, tempfile.TemporaryDirectory(prefix="cmir-bench-") as tmp:
        with fresh_database(args.database_url, Path(tmp)) as url:
            shown = url.split("@")[-1] if "@" in url else url
            say(f"indexer: python -m cmir.indexer --once into {shown} (projections included)")
            run = run_indexer(anvil.url, chain.record, url)
        if run.events != chain.events:
            raise SystemExit(f"the indexer wrote {run.events} events, the chain holds {chain.events}")
        rate = run.events / run.seconds
        for line in run.output.strip().splitlines():
            if "indexed up to block" in line or line.startswith("checkpoint"):
                say(f"  {line}")
        say(
            f"  {run.events} events in {run.seconds:.2f}s wall (process start to exit): {rate:.0f} events/s;"
            f" cpu {run.cpu_seconds:.2f}s (writer and prefetch child)"
        )
        say(
            f"  memory: peak {run.tree_pss_mb:.0f} MB PSS of the process tree (writer + prefetch child),"
            f" largest single process {run.max_process_rss_mb:.0f} MB RSS;"
            f" peak sum of RSS {run.tree_rss_sum_mb:.0f} MB (counts pages shared after fork twice)"
        )
        say(
            f"baseline: web3.py get_logs per 1,000 blocks, process_log, one ORM insert + commit per event"
            f" (SQLite, WAL), first {min(args.baseline_events, chain.events)} events of the same chain"
        )
        base = run_baseline(anvil.url, chain.record, Path(tmp) / "baseline.sqlite3", args.baseline_events)
        base_rate = base.events / base.seconds
        say(
            f"  {base.events} events in {base.seconds:.2f}s ({base.fetch_seconds:.2f}s of it get_logs,"
            f" pro rata of the logs used): {base_rate:.0f} events/s"
        )
    say(f"load average {_load()}")
    say(
        f"events_per_s={rate:.0f} baseline_events_per_s={base_rate:.0f} ratio={rate / base_rate:.1f}"
        f" peak_rss_mb={run.peak_rss_mb:.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
