"""Benchmark: ``python -m indexer.bench`` (from the repository root, in the project's .venv).

1. Starts its own anvil and builds a chain holding at least ``--events`` events of the real
   contracts: the deployment (``cmir.deployment`` through Ape, as ``ape run deploy``), then
   `BatchMember` helper contracts (``contracts/test/BatchMember.sol``) that join as members and
   call the pool many times per transaction (relations paid, contributions, claims), sent as raw
   JSON-RPC with automine off and mined into blocks of one such transaction (40 pool events)
   each, so that the chain has many blocks as a real one does. The chain is saved with
   ``anvil --dump-state`` under ``.build/bench/`` keyed by the contracts' bytecode and the
   generation parameters, and reloaded with ``--load-state`` on the next run.
2. Indexes the whole chain with the real indexer, run as a subprocess (``python -m indexer
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
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from eth_abi.abi import encode
from eth_utils.crypto import keccak
from sqlalchemy import JSON, BigInteger, Integer, String, UniqueConstraint, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from cmir.devchain import Anvil, anvil_binary, deploy_founders

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / ".build"
ARTIFACTS = BUILD / "__local__.json"
CACHE = BUILD / "bench"
#: Contracts whose bytecode (with the generation parameters) keys the cached chain.
KEYED_CONTRACTS = (
    "TestEuro",
    "CmirTimelock",
    "Membership",
    "EssProjectRegistry",
    "Redistribution",
    "CmirGovernor",
    "BatchMember",
)
GAS_LIMIT = 4_000_000_000
GAS_PER_CALL = 120_000
MAX_UINT = 2**256 - 1
EUR = 10**6
MEMBER_KINDS = {"Pilote": 0, "Abeille": 1, "EssStructure": 2}


def say(message: str) -> None:
    """A progress line on stdout, flushed."""
    print(message, flush=True)


# ---------------------------------------------------------------------------------------- anvil


class GeneratorRpcError(Exception):
    """A JSON-RPC call of the generator failed."""


class Rpc:
    """Minimal raw JSON-RPC for the generator (single calls and batches)."""

    def __init__(self, url: str, timeout: float = 600.0) -> None:
        self.url = url
        self.timeout = timeout
        self.session = requests.Session()

    def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        """One call; raises `GeneratorRpcError` on an error reply."""
        reply = self.session.post(
            self.url,
            json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)},
            timeout=self.timeout,
        ).json()
        if "error" in reply:
            raise GeneratorRpcError(f"{method}: {reply['error']}")
        return reply["result"]

    def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Calls in one JSON-RPC batch; results in order."""
        if not calls:
            return []
        payload = [
            {"jsonrpc": "2.0", "id": n, "method": m, "params": list(p)} for n, (m, p) in enumerate(calls)
        ]
        replies = self.session.post(self.url, json=payload, timeout=self.timeout).json()
        by_id = {r["id"]: r for r in replies}
        out = []
        for n, (method, _) in enumerate(calls):
            reply = by_id[n]
            if "error" in reply:
                raise GeneratorRpcError(f"{method}: {reply['error']}")
            out.append(reply["result"])
        return out


class AnvilProcess(Anvil):
    """An anvil on a free loopback port (``cmir.devchain``) with the generator's JSON-RPC client;
    it is given two minutes to load a large state, and to write its --dump-state file when
    stopped."""

    def __init__(self, *extra: str) -> None:
        super().__init__(*extra, start_timeout=120, stop_timeout=120)
        self.rpc = Rpc(self.url)


# ---------------------------------------------------------------------------------------- chain


def _artifacts() -> dict[str, Any]:
    if not ARTIFACTS.exists():
        raise SystemExit(f"{ARTIFACTS} is missing: run `ape compile` first")
    types: dict[str, Any] = json.loads(ARTIFACTS.read_text())["contractTypes"]
    if "BatchMember" not in types:
        raise SystemExit("BatchMember is not compiled: run `ape compile` (contracts/test/BatchMember.sol)")
    return types


def _selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


@dataclass(frozen=True)
class ChainPlan:
    """How the generated chain is laid out."""

    events: int = 100_000
    helpers: int = 6
    calls_per_tx: int = 40
    txs_per_block: int = 1
    claim_every: int = 97

    def key(self) -> str:
        """A cache key: the contracts' bytecode, these parameters and the anvil version."""
        types = _artifacts()
        digest = hashlib.sha256()
        for name in KEYED_CONTRACTS:
            digest.update(name.encode())
            digest.update(str(types[name]["deploymentBytecode"]["bytecode"]).encode())
        digest.update(json.dumps(self.__dict__, sort_keys=True).encode())
        version = subprocess.run(  # noqa: S603 (the project's own anvil)
            [anvil_binary(), "--version"], capture_output=True, text=True, check=False
        ).stdout
        digest.update(version.encode())
        return digest.hexdigest()[:16]


@dataclass
class Chain:
    """A generated chain: where its state and deployment record are."""

    state: Path
    record: Path
    head: int
    events: int

    @property
    def deployment_block(self) -> int:
        """The first block of the deployment."""
        return int(json.loads(self.record.read_text())["deployment_block"])


def _mine_checked(rpc: Rpc, hashes: list[str]) -> list[dict[str, Any]]:
    """Mine one block holding the pending transactions; every one of `hashes` must succeed."""
    rpc.call("evm_mine")
    receipts = rpc.batch([("eth_getTransactionReceipt", [h]) for h in hashes])
    for receipt in receipts:
        if receipt is None or receipt["status"] != "0x1":
            raise RuntimeError(f"a generator transaction failed: {receipt}")
    return receipts


def generate(rpc: Rpc, record: Path, plan: ChainPlan, report: bool = True) -> int:
    """Add helper members to a deployed chain and make them emit at least ``plan.events`` pool
    events. Returns how many calls they made."""
    types = _artifacts()
    deployment = json.loads(record.read_text())
    contracts = {role: entry["address"] for role, entry in deployment["contracts"].items()}
    accounts: list[str] = rpc.call("eth_accounts")
    deployer, founders = accounts[0], accounts[1:4]
    rpc.call("evm_setAutomine", [False])

    def send(sender: str, to: str | None, data: bytes, gas: int) -> str:
        tx: dict[str, Any] = {"from": sender, "data": "0x" + data.hex(), "gas": hex(gas)}
        if to is not None:
            tx["to"] = to
        return str(rpc.call("eth_sendTransaction", [tx]))

    # Helpers: deployed, invited by the founders in turn, then they accept.
    code = bytes.fromhex(str(types["BatchMember"]["deploymentBytecode"]["bytecode"])[2:])
    args = encode(["address", "address"], [contracts["pool"], contracts["membership"]])
    hashes = [send(deployer, None, code + args, 5_000_000) for _ in range(plan.helpers)]
    receipts = _mine_checked(rpc, hashes)
    helpers = [str(r["contractAddress"]) for r in receipts]
    invite = _selector("invite(address,uint8)")
    hashes = [
        send(
            founders[n % len(founders)],
            contracts["membership"],
            invite + encode(["address", "uint8"], [h, n % 2]),
            500_000,
        )
        for n, h in enumerate(helpers)
    ]
    _mine_checked(rpc, hashes)
    join = _selector("join()")
    _mine_checked(rpc, [send(deployer, h, join, 1_000_000) for h in helpers])

    # The stream: each helper pays relations to the founders and the other helpers.
    run = _selector("run(address[],uint256,uint256,uint256)")
    calls = 0
    blocks = 0
    started = time.monotonic()
    gas = GAS_PER_CALL * plan.calls_per_tx + 1_000_000
    n = 0
    while calls < plan.events:
        hashes = []
        for _ in range(plan.txs_per_block):
            helper = helpers[n % len(helpers)]
            others = [a for a in (*founders, *helpers) if a != helper]
            data = run + encode(
                ["address[]", "uint256", "uint256", "uint256"],
                [others, plan.calls_per_tx, 10 * EUR + (n % 13) * EUR, plan.claim_every],
            )
            hashes.append(send(deployer, helper, data, gas))
            n += 1
            calls += plan.calls_per_tx
        _mine_checked(rpc, hashes)
        blocks += 1
        if report and blocks % 200 == 0:
            rate = calls / (time.monotonic() - started)
            say(f"  generated {calls} calls in {blocks} blocks ({rate:.0f} calls/s)")
    rpc.call("evm_setAutomine", [True])
    return calls


def count_logs(rpc: Rpc, record: Path, first: int, last: int, step: int = 2_000) -> int:
    """How many logs the indexed contracts emitted in ``first..last`` (eth_getLogs)."""
    deployment = json.loads(record.read_text())
    addresses = [
        entry["address"]
        for role, entry in deployment["contracts"].items()
        if role in ("membership", "registry", "pool", "governor", "timelock")
    ]
    total = 0
    for start in range(first, last + 1, step):
        end = min(last, start + step - 1)
        logs = rpc.call("eth_getLogs", [{"fromBlock": hex(start), "toBlock": hex(end), "address": addresses}])
        total += len(logs)
    return total


def build_chain(plan: ChainPlan, cache: Path = CACHE, report: bool = True) -> Chain:
    """The generated chain for `plan`, from the cache or built now (and cached)."""
    folder = cache / plan.key()
    state, record, info = folder / "state.json", folder / "deployment.json", folder / "chain.json"
    if state.exists() and record.exists() and info.exists():
        meta = json.loads(info.read_text())
        if report:
            say(f"chain: cached in {folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder}")
        return Chain(state, record, int(meta["head"]), int(meta["events"]))
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / "state.partial.json"
    started = time.monotonic()
    if report:
        say(f"chain: generating >= {plan.events} events (cached afterwards under {folder})")
    anvil = AnvilProcess(
        "--gas-limit", str(GAS_LIMIT), "--code-size-limit", str(2**20), "--dump-state", str(partial)
    )
    try:
        deploy_founders(anvil.url, record, timeout=600)
        if report:
            say(f"  deployed the contracts in {time.monotonic() - started:.1f}s")
        generate(anvil.rpc, record, plan, report)
        head = int(anvil.rpc.call("eth_blockNumber"), 16)
        deployment_block = int(json.loads(record.read_text())["deployment_block"])
        events = count_logs(anvil.rpc, record, deployment_block, head)
    finally:
        anvil.stop()
    if not partial.exists():
        raise RuntimeError("anvil did not write its state")
    partial.replace(state)
    info.write_text(json.dumps({"head": head, "events": events, "plan": plan.__dict__}))
    for other in cache.glob("*/chain.json"):  # the same plan built from older contracts: stale
        if other.parent != folder and json.loads(other.read_text()).get("plan") == plan.__dict__:
            shutil.rmtree(other.parent, ignore_errors=True)
    if report:
        say(f"  chain of {head} blocks, {events} events, generated in {time.monotonic() - started:.1f}s")
    return Chain(state, record, head, events)


@contextmanager
def serve(chain: Chain) -> Iterator[AnvilProcess]:
    """An anvil serving the cached chain."""
    anvil = AnvilProcess("--load-state", str(chain.state), "--gas-limit", str(GAS_LIMIT))
    try:
        head = int(anvil.rpc.call("eth_blockNumber"), 16)
        if head != chain.head:
            raise RuntimeError(f"the cached chain reloaded at block {head}, not {chain.head}")
        yield anvil
    finally:
        anvil.stop()


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
    """``python -m indexer --once`` as a subprocess. Its peak memory is the larger of the kernel's
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

    from indexer.db import RawEvent
    from indexer.db.session import normalize_url

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
                types = ",".join(_canonical(i) for i in item["inputs"])
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


def _canonical(entry: dict[str, Any]) -> str:
    kind = str(entry["type"])
    if kind.startswith("tuple"):
        return "(" + ",".join(_canonical(c) for c in entry["components"]) + ")" + kind[len("tuple") :]
    return kind


@contextmanager
def fresh_database(url: str | None, folder: Path) -> Iterator[str]:
    """An empty database: a new SQLite file in `folder`, or for a PostgreSQL URL a throwaway
    database created on that server (and dropped afterwards)."""
    if url is None or url.startswith("sqlite"):
        yield url or f"sqlite:///{folder / 'indexer.sqlite3'}"
        return
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    from indexer.db.session import normalize_url

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
        prog="python -m indexer.bench",
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
            say(f"indexer: python -m indexer --once into {shown} (projections included)")
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
