"""Benchmark of the public auditor: ``cmir audit`` over a network the size of a real one.

    .venv/bin/python scripts/audit_bench.py [--no-api] [--profile FILE] [--members N ...]

1. Builds (once: several minutes) or loads the generated chain of `cmir.dev.bench.audit`: the real
   contracts on our own anvil, 10,000 members who joined by invitation, 200,000 relations,
   1,000 proposals in every state with their votes, ESS projects funded (cached under
   ``.build/bench/`` by the contracts' bytecode, the plan, the generator's code, anvil's version).
2. Serves it with anvil (``anvil_loadState``) and runs ``cmir audit --rpc ... --deployment ...``
   (the chain alone): prints its wall time and the records it checked per resource.
3. Unless ``--no-api``: indexes the chain with the real indexer (``python -m cmir.indexer --once``) into
   a SQLite file (in memory, /dev/shm, when there is one; cached gzipped next to the chain, keyed
   by the indexer's code too), serves the API on it (``cmir serve``), runs ``cmir audit --api
   ...`` and prints its time, the counts per resource and whether it reconciled.

Views go through Multicall3: the bench puts its published code at its usual address on the local
chain when anvil lacks it (``anvil_setCode``). ``--views override`` leaves it out (the auditor
then runs it as a state override of each ``eth_call``), ``--views plain`` makes the auditor send
plain JSON-RPC batches of ``eth_call`` (``CMIR_AUDIT_MULTICALL=0``), to compare. ``--profile
FILE`` runs the chain-only audit under cProfile (in the audit's process), writes the profile to
FILE and prints its top entries.
The last line is ``audit_chain_s=<s> audit_api_s=<s> members=<n> relations=<n> proposals=<n>``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests

from cmir.audit import multicall
from cmir.dev.bench.audit import MARGIN, AuditPlan, build_audit_chain, serve_audit_chain
from cmir.dev.bench.chain import Chain, Rpc, say
from cmir.dev.devchain import free_port

ROOT = Path(__file__).resolve().parent.parent

#: Lines of the audit's output that say what it counted (echoed besides the report's counts).
COUNT_LINE = re.compile(r"checked|compared|RECONCILED|DIFF|FAIL|error", re.IGNORECASE)


def audit_command(rpc_url: str, record: Path, api_url: str | None, report: Path | None) -> list[str]:
    """``cmir audit`` for this chain (and API), as a command line of this interpreter."""
    command = [
        sys.executable,
        "-m",
        "cmir.apps.cli",
        "audit",
        "--rpc",
        rpc_url,
        "--deployment",
        str(record),
        "--quiet",
    ]
    if api_url is not None:
        command += ["--api", api_url]
    if report is not None:
        command += ["--report", str(report)]
    return command


def supports_report() -> bool:
    """Whether this ``cmir audit`` writes ``--report FILE``."""
    done = subprocess.run(
        [sys.executable, "-m", "cmir.apps.cli", "audit", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return "--report" in done.stdout


def run_audit(command: list[str], env: dict[str, str]) -> tuple[float, int, list[str]]:
    """Run the audit, echoing its lines as they come; (wall seconds, exit code, output lines)."""
    started = time.monotonic()
    process = subprocess.Popen(  # noqa: S603 (this interpreter, our own CLI)
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        say(f"  | {line.rstrip()}")
    code = process.wait()
    return time.monotonic() - started, code, lines


def report_counts(report: Path) -> dict[str, int]:
    """Records checked per resource, from the audit's JSON report (whatever its nesting: every
    object with a ``name`` and a ``checked``)."""
    if not report.exists():
        return {}
    counts: dict[str, int] = {}

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("name"), str) and isinstance(node.get("checked"), int):
                counts[node["name"]] = node["checked"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(report.read_text()))
    return counts


def audit(label: str, command: list[str], env: dict[str, str], report: Path | None) -> tuple[float, int]:
    """Run one audit and print its time and counts."""
    say(f"{label}: {' '.join(command[2:])}")
    seconds, code, lines = run_audit(command, env)
    verdict = {0: "RECONCILED", 1: "NOT RECONCILED"}.get(code, f"could not run (exit {code})")
    say(f"  {label}: {seconds:.1f} s wall, {verdict}")
    counts = report_counts(report) if report is not None else {}
    if counts:
        say("  checked per resource: " + ", ".join(f"{name} {n}" for name, n in counts.items()))
    else:
        for line in lines:
            if COUNT_LINE.search(line) and not line.lstrip().startswith("DIFF"):
                say(f"  > {line.strip()}")
    return seconds, code


def profile(command: list[str], env: dict[str, str], out: Path, top: int = 30) -> None:
    """The chain-only audit under cProfile; its top entries by own and cumulative time."""
    profiled = [sys.executable, "-m", "cProfile", "-o", str(out), *command[1:]]
    say(f"profile: {' '.join(profiled[1:6])} ... (written to {out})")
    subprocess.run(profiled, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=False)  # noqa: S603
    stats = pstats.Stats(str(out))
    for key in ("tottime", "cumulative"):
        say(f"  top {top} by {key}:")
        stats.sort_stats(key)
        width = 0
        for func in stats.fcn_list[:top]:  # type: ignore[attr-defined]
            calls, _, own, cumulative, _ = stats.stats[func]  # type: ignore[attr-defined]
            where = f"{Path(func[0]).name}:{func[1]}({func[2]})"
            width = max(width, len(where))
            say(f"    {own:8.2f} s own {cumulative:8.2f} s cum {calls:>9} calls  {where}")


def deploy_multicall(rpc: Rpc) -> None:
    """Multicall3's published code at its usual address, if this local chain lacks it."""
    if rpc.call("eth_getCode", [multicall.ADDRESS, "latest"]) in ("0x", ""):
        rpc.call("anvil_setCode", [multicall.ADDRESS, multicall.CODE])
        say(f"  Multicall3 placed at {multicall.ADDRESS} (anvil_setCode: a local chain only)")


def indexer_key(chain: Chain) -> str:
    """The cached index's key: the chain's folder (its key) and the indexer's code."""
    digest = hashlib.sha256(chain.state.parent.name.encode())
    for path in sorted((ROOT / "indexer").rglob("*.py")):
        if path.name.startswith("bench"):
            continue
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def index(chain: Chain, rpc_url: str, folder: Path) -> Path:
    """The chain indexed by the real indexer into a SQLite file in `folder` (cached gzipped
    next to the chain when the disk has room: indexing takes a few minutes)."""
    database = folder / "index.sqlite3"
    cached = chain.state.parent / f"index-{indexer_key(chain)}.sqlite3.gz"
    if cached.exists():
        say(f"index: cached in {shown(cached)}")
        with gzip.open(cached, "rb") as source, database.open("wb") as target:
            shutil.copyfileobj(source, target, 1 << 22)
        return database
    from cmir.dev.bench.indexer import run_indexer

    say(f"index: python -m cmir.indexer --once into {database} (once; cached)")
    run = run_indexer(rpc_url, chain.record, f"sqlite:///{database}")
    say(f"  {run.events} events indexed in {run.seconds:.1f} s")
    for stale in chain.state.parent.glob("index-*.sqlite3.gz"):
        stale.unlink()
    packed = io.BytesIO()
    with database.open("rb") as source, gzip.open(packed, "wb", compresslevel=3) as target:
        shutil.copyfileobj(source, target, 1 << 22)
    free = shutil.disk_usage(cached.parent).free
    if free < packed.tell() + MARGIN:  # never fill a disk: the next run indexes again
        say(f"  (not cached: {packed.tell() / 1e6:.0f} MB, {free / 1e6:.0f} MB free in {cached.parent})")
    else:
        partial = cached.with_name(f"{cached.name}.partial-{os.getpid()}")
        partial.write_bytes(packed.getvalue())
        partial.replace(cached)
    return database


def scratch() -> tempfile.TemporaryDirectory[str]:
    """A scratch folder in memory when the machine has one (/dev/shm): the index is large."""
    memory = Path("/dev/shm")  # noqa: S108 (a private folder is made inside it)
    where = str(memory) if memory.is_dir() and os.access(memory, os.W_OK) else None
    return tempfile.TemporaryDirectory(prefix="cmir-audit-bench-", dir=where)


def shown(path: Path) -> str:
    """A path relative to the repository when it is inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


@contextmanager
def api_server(database: Path, rpc_url: str, record: Path) -> Iterator[str]:
    """``cmir serve`` on the index, on a free port, until the block exits."""
    port = free_port()
    env = {
        **os.environ,
        "CMIR_HOST": "127.0.0.1",
        "CMIR_PORT": str(port),
        "CMIR_DATABASE_URL": f"sqlite:///{database}",
        "CMIR_RPC_URL": rpc_url,
        "CMIR_DEPLOYMENT_FILE": str(record),
        "CMIR_METADATA_ALLOW_PRIVATE_HOSTS": "true",
    }
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "cmir.apps.cli", "serve"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if requests.get(f"{url}/api/v1/health", timeout=5).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"the API did not start:\n{log.read().decode()[-2000:]}")
                time.sleep(0.3)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def main(argv: list[str] | None = None) -> int:
    """Build or load the chain, audit it (chain only, then against the API), print the times."""
    parser = argparse.ArgumentParser(
        prog="scripts/audit_bench.py",
        description="Time `cmir audit` on a generated network of 10,000 members, 200,000 relations and"
        " 1,000 proposals (chain only, then against the API serving the indexer's mirror).",
    )
    defaults = AuditPlan()
    parser.add_argument("--members", type=int, default=defaults.members, help="members (default %(default)s)")
    parser.add_argument("--relations", type=int, default=defaults.relations, help="relations (%(default)s)")
    parser.add_argument("--proposals", type=int, default=defaults.proposals, help="proposals (%(default)s)")
    parser.add_argument(
        "--blocks", type=int, default=defaults.blocks, help="blocks, at least 1,200 (%(default)s)"
    )
    parser.add_argument("--no-api", action="store_true", help="audit the chain only (no indexer, no API)")
    parser.add_argument("--profile", type=Path, help="also profile the chain-only audit (cProfile) into FILE")
    parser.add_argument(
        "--views",
        choices=("multicall", "override", "plain"),
        default="multicall",
        help="how the auditor reads views: Multicall3 on chain (default), as a state override, or"
        " plain JSON-RPC batches",
    )
    args = parser.parse_args(argv)
    if args.blocks < 1_200:
        parser.error("--blocks must be at least 1,200 (the story's last 400 blocks hold its ending)")
    plan = AuditPlan(
        members=args.members, relations=args.relations, proposals=args.proposals, blocks=args.blocks
    )
    say(f"load average {'/'.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    chain, summary = build_audit_chain(plan)
    say(
        f"  {chain.head} blocks, {chain.events} events of the DAO's contracts; {summary['members']} members"
        f" ({summary['members_excluded']} excluded, {summary['in_probation']} in probation),"
        f" {summary['relations']} relations, {summary['proposals']} proposals {summary.get('states', {})},"
        f" {sum(summary['votes'].values())} votes"
    )
    env = dict(os.environ)
    env["CMIR_AUDIT_MULTICALL"] = {"multicall": "auto", "override": "override", "plain": "0"}[args.views]
    with_report = supports_report()
    results: dict[str, float] = {}
    with serve_audit_chain(chain) as anvil, scratch() as tmp:
        say(f"anvil: serving the chain on {anvil.url}; views read by {args.views}")
        if args.views == "multicall":
            deploy_multicall(anvil.rpc)
        report = Path(tmp) / "chain.json" if with_report else None
        command = audit_command(anvil.url, chain.record, None, report)
        results["chain"], _ = audit("audit (chain only)", command, env, report)
        if args.profile is not None:
            profile(audit_command(anvil.url, chain.record, None, None), env, args.profile)
        if not args.no_api:
            database = index(chain, anvil.url, Path(tmp))
            with api_server(database, anvil.url, chain.record) as api_url:
                say(f"api: cmir serve on {api_url} (SQLite {database.name})")
                report = Path(tmp) / "api.json" if with_report else None
                command = audit_command(anvil.url, chain.record, api_url, report)
                results["api"], _ = audit("audit --api", command, env, report)
    say(f"load average {'/'.join(f'{x:.2f}' for x in os.getloadavg())}")
    say(
        f"audit_chain_s={results['chain']:.1f} audit_api_s={results.get('api', float('nan')):.1f}"
        f" members={summary['members']} relations={summary['relations']} proposals={summary['proposals']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
