"""``python -m cmir.dev.bench.api`` (from the repository root): a year of synthetic DAO life (10,000
members, 200,000 relations, 1,000 proposals) indexed into a fresh SQLite file by the indexer's own
writer and projector (`cmir.dev.bench.api.fill`), the API served by its production server on
127.0.0.1 in a subprocess, 50 concurrent clients for 30 s on a mix of list, member, network and
reconciliation routes. The last line is
``rps=<n> p50_ms=<n> p99_ms=<n> errors=<n> max_response_kb=<n>``.

Environment: CMIR_BENCH_SECONDS (30), CMIR_BENCH_CLIENTS (50), CMIR_BENCH_WORKERS (server
processes; default: the production default, one per core), CMIR_BENCH_KEEP (keep the temporary folder)."""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvloop

from cmir.api.settings import ROOT, Settings
from cmir.chain.deployment import load_deployment
from cmir.dev.bench.api import chain
from cmir.dev.bench.api.fill import fill
from cmir.dev.bench.api.load import mix, run_load
from cmir.dev.bench.api.synthetic import address
from cmir.dev.bench.api.year import Sizes
from cmir.store import Proposal
from cmir.store.session import make_engine

DAYS = 365


def say(message: str) -> None:
    """Progress on stdout, flushed."""
    print(message, flush=True)


def start_server(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    """The production server (``python -m cmir.api``) on 127.0.0.1:`port`, once it answers."""
    server = subprocess.Popen([sys.executable, "-m", "cmir.api"], cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("the API server exited")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=2).status_code == 200:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    server.terminate()
    raise RuntimeError("the API server did not answer within 60 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a process we started, by its pid."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> int:
    """Fill, serve, load, report."""
    seconds = float(os.environ.get("CMIR_BENCH_SECONDS", "30"))
    clients = int(os.environ.get("CMIR_BENCH_CLIENTS", "50"))
    workers = os.environ.get("CMIR_BENCH_WORKERS") or str(Settings().workers)
    folder = Path(tempfile.mkdtemp(prefix="cmir-bench-"))
    anvil = server = None
    try:
        say(f"bench folder {folder}")
        started = time.monotonic()
        anvil = chain.Anvil(genesis_time=int(time.time()) - (DAYS + 1) * chain.DAY)
        record = folder / "deployment.json"
        chain.deploy(anvil.url, record)
        settings = chain.pool_settings(anvil.url, record)
        blocks = chain.daily_blocks(anvil.url, DAYS)
        say(
            f"chain: anvil {anvil.url}, contracts deployed, {len(blocks)} daily blocks"
            f" ({time.monotonic() - started:.0f} s)"
        )
        started = time.monotonic()
        sizes = Sizes()
        database = folder / "bench.sqlite3"
        url = f"sqlite:///{database}"
        counts = fill(url, load_deployment(record), blocks, sizes, settings)
        size_mb = database.stat().st_size / 2**20
        say(f"database: {counts} ({size_mb:.0f} MiB, {time.monotonic() - started:.0f} s)")
        engine = make_engine(url)
        with engine.connect() as connection:
            proposal_ids = [
                int(v)
                for v in connection.execute(
                    Proposal.__table__.select().with_only_columns(Proposal.__table__.c.proposal_id)
                ).scalars()
            ]
        engine.dispose()
        port = chain.free_port()
        env = {
            **os.environ,
            "CMIR_DATABASE_URL": url,
            "CMIR_RPC_URL": anvil.url,
            "CMIR_DEPLOYMENT_FILE": str(record),
            "CMIR_PORT": str(port),
            "CMIR_HOST": "127.0.0.1",
            "CMIR_WORKERS": workers,
        }
        server = start_server(env, port)
        say(f"server: python -m cmir.api on 127.0.0.1:{port} ({workers} worker(s), uvloop, httptools)")
        routes = mix([address(i) for i in range(sizes.members)], proposal_ids, [b.number for b in blocks])
        say(f"load: {clients} clients for {seconds:.0f} s after a 3 s warm-up")
        # This process holds the chain deployment's and the fill's objects: a full collection
        # walking them stalled all 50 clients' clocks for 100+ ms. The load loop makes little
        # cyclic garbage, so the collector sleeps while it runs.
        gc.collect()
        gc.freeze()
        gc.disable()
        try:
            results, duration = uvloop.run(
                run_load(f"http://127.0.0.1:{port}", routes, clients, seconds, 3.0, say)
            )
        finally:
            gc.enable()
        latencies = sorted(results.latencies)
        count = len(latencies)
        if count == 0:
            raise RuntimeError("no request completed")

        def pct(p: float) -> float:
            return latencies[min(count - 1, int(p * count))] * 1000

        for name, values in sorted(results.by_route.items()):
            values.sort()
            p50 = values[len(values) // 2] * 1000
            p99 = values[min(len(values) - 1, int(0.99 * len(values)))] * 1000
            say(f"  {name:18} n={len(values):6d} p50={p50:6.1f} ms p99={p99:6.1f} ms")
        if results.failures:
            say(f"  failed requests (first): {results.failures}")
        load1, load5, _ = os.getloadavg()
        say(
            f"load average: {load1:.2f} (1 min), {load5:.2f} (5 min) on {os.cpu_count()} cores;"
            f" {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
        )
        say(
            f"rps={count / duration:.0f} p50_ms={pct(0.50):.1f} p99_ms={pct(0.99):.1f} "
            f"errors={results.errors} max_response_kb={results.max_bytes / 1024:.0f}"
        )
        return 0
    finally:
        if server is not None:
            stop(server)
        if anvil is not None:
            anvil.stop()
        if not os.environ.get("CMIR_BENCH_KEEP"):
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
