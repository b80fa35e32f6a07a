"""The generated chain of the audit benchmark (``scripts/audit_bench.py``): a network the size the
auditor must handle, 10,000 members, 200,000 relations and 1,000 proposals by default.

As `cmir.dev.bench.chain` does, the real contracts are deployed (``cmir.dev.devchain``, with anvil's
accounts 1-3 as founders, 4 as steward and 5 as guardian) on an anvil of our own, transactions
are sent as raw JSON-RPC with automine off (``--order fifo``: a block runs them in the order sent)
and mined into blocks `seconds_per_block` apart on a clock of their own (`cmir.dev.bench.story`
tells what happens; `benchcrowd` and `benchpolls` are its members and its governance). The state
is cached under ``.build/bench/audit-<key>/`` (``CMIR_BENCH_CACHE`` to put it elsewhere), keyed by
the contracts' bytecode, the plan, the generator's code, the local settings and anvil's version:
as anvil's ``anvil_dumpState`` gives it (gzipped), without the call traces anvil keeps of every
transaction (nine tenths of the dump: a crowd transaction makes hundreds of calls), and served
again by ``anvil_loadState`` (`serve_audit_chain`): blocks, receipts and logs are whole, only
``debug_traceTransaction`` has nothing to say on that chain.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import os
import shutil
import time
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cmir.dev.bench.chain import (
    GAS_LIMIT,
    ROOT,
    AnvilProcess,
    Chain,
    Rpc,
    cache_key,
    count_logs,
    say,
)
from cmir.dev.bench.story import Story
from cmir.dev.devchain import deploy_founders

#: Room left on a disk after writing a cached chain (bytes).
MARGIN = 500_000_000
#: Where generated chains are kept.
CACHE = Path(os.environ.get("CMIR_BENCH_CACHE", str(ROOT / ".build" / "bench")))

#: Contracts whose bytecode keys the cached chain.
KEYED_CONTRACTS = (
    "TestEuro",
    "CmirTimelock",
    "Membership",
    "EssProjectRegistry",
    "Redistribution",
    "CmirGovernor",
    "BenchCrowd",
    "CrowdMember",
)
HERE = Path(__file__).resolve().parent
#: The generator's code and the settings it deploys with, which key the cached chain too.
KEYED_FILES = (
    HERE / "audit.py",
    HERE / "story.py",
    HERE / "crowd.py",
    HERE / "polls.py",
    HERE / "chain.py",
    ROOT / "deployments" / "settings.yaml",
)


@dataclass(frozen=True)
class AuditPlan:
    """The size of the generated network."""

    members: int = 10_000
    relations: int = 200_000
    proposals: int = 1_000
    blocks: int = 1_800
    seconds_per_block: int = 12
    seed: int = 12

    def key(self) -> str:
        """A cache key: the contracts' bytecode, this plan, the generator's code, the local
        settings and anvil's version."""
        return "audit-" + cache_key(KEYED_CONTRACTS, asdict(self), KEYED_FILES)


def _text(chunks: Iterable[bytes]) -> Iterator[str]:
    """UTF-8 text of a byte stream, chunk by chunk."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    for chunk in chunks:
        yield decoder.decode(chunk)
    yield decoder.decode(b"", final=True)


def _gunzip(data: bytes, size: int = 1 << 22) -> Iterator[bytes]:
    """The decompressed chunks of gzipped `data`."""
    inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
    for start in range(0, len(data), size):
        yield inflate.decompress(data[start : start + size])
    yield inflate.flush()


def without_traces(chunks: Iterable[str]) -> Iterator[str]:
    """A state dump's JSON text, streamed, with every ``"traces"`` array emptied."""
    decoder = json.JSONDecoder()
    marker = '"traces":'
    buffer = ""
    for chunk in chunks:
        buffer += chunk
        while True:
            found = buffer.find(marker)
            if found < 0:  # keep a tail: a marker may straddle two chunks
                keep = len(buffer) - len(marker)
                if keep > 0:
                    yield buffer[:keep]
                    buffer = buffer[keep:]
                break
            try:
                _, end = decoder.raw_decode(buffer, found + len(marker))
            except json.JSONDecodeError:  # the array goes on in the next chunk
                yield buffer[:found]
                buffer = buffer[found:]
                break
            yield buffer[:found] + marker + "[]"
            buffer = buffer[end:]
    yield buffer


def save_state(rpc: Rpc, target: Path) -> None:
    """The chain's state (``anvil_dumpState``), without traces, gzipped into `target` (made in
    memory first: it is written only if the disk has room for it, never to fill a disk)."""
    dump = bytes.fromhex(str(rpc.call("anvil_dumpState"))[2:])
    packed = io.BytesIO()
    with gzip.open(packed, "wt", encoding="utf-8", compresslevel=6) as out:
        for text in without_traces(_text(_gunzip(dump))):
            out.write(text)
    del dump
    data = packed.getvalue()
    free = shutil.disk_usage(target.parent).free
    if free < len(data) + MARGIN:
        raise RuntimeError(
            f"the chain's state takes {len(data) / 1e6:.0f} MB and {target.parent} has {free / 1e6:.0f} MB"
            " free: set CMIR_BENCH_CACHE to a folder with room (e.g. /dev/shm/cmir-bench)"
        )
    partial = target.with_name(f"{target.name}.partial-{os.getpid()}")
    partial.write_bytes(data)
    partial.replace(target)


@contextmanager
def serve_audit_chain(chain: Chain) -> Iterator[AnvilProcess]:
    """An anvil serving the cached chain (loaded through ``anvil_loadState``)."""
    anvil = AnvilProcess("--gas-limit", str(GAS_LIMIT), "--no-request-size-limit", "--prune-history")
    try:
        anvil.rpc.call("anvil_loadState", ["0x" + chain.state.read_bytes().hex()])
        head = int(anvil.rpc.call("eth_blockNumber"), 16)
        if head != chain.head:
            raise RuntimeError(f"the cached chain reloaded at block {head}, not {chain.head}")
        yield anvil
    finally:
        anvil.stop()


def generate(rpc: Rpc, record: Path, plan: AuditPlan, report: bool = True) -> dict[str, Any]:
    """Play the story on a freshly deployed chain; returns its summary."""
    return Story(rpc, record, plan).run(report)


def build_audit_chain(
    plan: AuditPlan, cache: Path = CACHE, report: bool = True
) -> tuple[Chain, dict[str, Any]]:
    """The generated chain for `plan` and its summary, from the cache or built now (and cached)."""
    folder = cache / plan.key()
    state, record, info = folder / "state.json.gz", folder / "deployment.json", folder / "chain.json"
    shown = folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder
    if state.exists() and record.exists() and info.exists():
        meta = json.loads(info.read_text())
        if report:
            say(f"chain: cached in {shown} (generated in {meta['summary']['seconds']} s)")
        return Chain(state, record, int(meta["head"]), int(meta["events"])), meta["summary"]
    folder.mkdir(parents=True, exist_ok=True)
    building = folder / f"deployment.partial.{os.getpid()}.json"
    started = time.monotonic()
    if report:
        say(
            f"chain: generating {plan.members} members, {plan.relations} relations,"
            f" {plan.proposals} proposals (once; cached under {shown})"
        )
    # No history kept: anvil would otherwise write the states of old blocks to disk (tens of GB
    # here, in ~/.foundry/anvil/tmp); blocks, receipts and logs stay whole.
    anvil = AnvilProcess("--gas-limit", str(GAS_LIMIT), "--order", "fifo", "--prune-history")
    try:
        accounts = anvil.rpc.call("eth_accounts")
        deploy_founders(anvil.url, building, timeout=600, guardian=accounts[5])
        summary = generate(anvil.rpc, building, plan, report)
        head = int(anvil.rpc.call("eth_blockNumber"), 16)
        deployment_block = int(json.loads(building.read_text())["deployment_block"])
        events = count_logs(anvil.rpc, building, deployment_block, head)
        if report:
            say(f"  saving the state ({time.monotonic() - started:.0f} s so far)")
        save_state(anvil.rpc, state)
    finally:
        anvil.stop()
    building.replace(record)
    summary["seconds"] = round(time.monotonic() - started, 1)
    summary["events"] = events
    info.write_text(json.dumps({"head": head, "events": events, "plan": asdict(plan), "summary": summary}))
    for other in cache.glob("audit-*/chain.json"):  # the same plan built from older code: stale
        if other.parent != folder and json.loads(other.read_text()).get("plan") == asdict(plan):
            shutil.rmtree(other.parent, ignore_errors=True)
    if report:
        size = state.stat().st_size / 1e6
        say(f"  chain of {head} blocks, {events} events, generated in {summary['seconds']} s ({size:.0f} MB)")
    return Chain(state, record, head, events), summary
