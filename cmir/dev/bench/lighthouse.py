"""Lighthouse on the transparency page (and the members' app), simulated mobile, offline.

Runs ``node_modules/.bin/lighthouse`` (12.x, from ``package.json``) on Debian's Chromium
(``/usr/bin/chromium``, or ``CMIR_CHROMIUM``) headless, with Lighthouse's default mobile
emulation and simulated throttling (a slow 4G phone), and prints per URL: the performance and
accessibility scores, LCP, TBT, CLS, FCP and the bytes sent. Scores are printed, never asserted.

With ``--url`` it measures a stack that already runs (``make up`` on 127.0.0.1:8000, say);
without it, it starts its own ``make up`` stack (``scripts/local_chain.py``) on free ports and a
state folder of its own, measures, and stops it with SIGINT as Ctrl-C would::

    .venv/bin/python -m cmir.dev.bench.lighthouse                  # own stack, / and /app/
    .venv/bin/python -m cmir.dev.bench.lighthouse --url http://127.0.0.1:8000 --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from cmir.chain.paths import project_root

CHROMIUM = Path(os.environ.get("CMIR_CHROMIUM", "/usr/bin/chromium"))
CHROME_FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-background-networking"
    " --disable-component-update --disable-sync --no-first-run"
)
PATHS = ("/", "/app/")


@dataclass(frozen=True)
class Result:
    """One Lighthouse run's figures."""

    url: str
    performance: float
    accessibility: float
    lcp_ms: float
    tbt_ms: float
    cls: float
    fcp_ms: float
    bytes_sent: int

    @staticmethod
    def of(url: str, report: dict[str, Any]) -> Result:
        """The figures of a Lighthouse JSON report."""
        audits, categories = report["audits"], report["categories"]
        return Result(
            url=url,
            performance=100 * float(categories["performance"]["score"] or 0),
            accessibility=100 * float(categories["accessibility"]["score"] or 0),
            lcp_ms=float(audits["largest-contentful-paint"]["numericValue"]),
            tbt_ms=float(audits["total-blocking-time"]["numericValue"]),
            cls=float(audits["cumulative-layout-shift"]["numericValue"]),
            fcp_ms=float(audits["first-contentful-paint"]["numericValue"]),
            bytes_sent=int(audits["total-byte-weight"]["numericValue"]),
        )

    def line(self) -> str:
        """The figures on one line."""
        return (
            f"{self.url:<34} performance {self.performance:5.0f}  LCP {self.lcp_ms / 1000:5.2f} s"
            f"  TBT {self.tbt_ms:6.0f} ms  CLS {self.cls:5.3f}  FCP {self.fcp_ms / 1000:5.2f} s"
            f"  accessibility {self.accessibility:5.0f}  sent {self.bytes_sent / 1024:7.1f} KiB"
        )


def lighthouse(url: str, out: Path) -> Result:
    """One Lighthouse run on `url` (simulated mobile, the defaults), its report kept in `out`."""
    binary = project_root() / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        raise SystemExit(f"{binary} is missing: run `make setup`")
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install chromium (or set CMIR_CHROMIUM)")
    command = [
        str(binary),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={out}",
        "--only-categories=performance,accessibility",
        f"--chrome-path={CHROMIUM}",
        f"--chrome-flags={CHROME_FLAGS}",
        "--max-wait-for-load=60000",
    ]
    env = dict(os.environ, CHROME_PATH=str(CHROMIUM))
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
    if done.returncode != 0 or not out.exists():
        raise SystemExit(f"lighthouse failed on {url}:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    report = json.loads(out.read_text(encoding="utf-8"))
    if report.get("runtimeError"):
        raise SystemExit(f"lighthouse on {url}: {report['runtimeError']}")
    return Result.of(url, report)


def free_port() -> int:
    """A TCP port free on the loopback interface now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Stack:
    """`make up` (``scripts/local_chain.py``) on free ports, in a state folder of its own."""

    def __init__(self, state: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(
            os.environ,
            CMIR_PORT=str(self.port),
            CMIR_ANVIL_PORT=str(free_port()),
            CMIR_METADATA_PORT=str(free_port()),
            CMIR_STATE_DIR=str(state / "state"),
            CMIR_DEPLOYMENT_FILE=str(state / "local.json"),
            CMIR_DEMO_ACCOUNTS=str(state / "demo-accounts.json"),
        )
        self.log = (state / "stack.log").open("wb")
        script = project_root() / "scripts" / "local_chain.py"
        self.process = subprocess.Popen(  # noqa: S603 (this interpreter, our own launcher)
            [sys.executable, str(script)], env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def wait(self, timeout: float = 300) -> None:
        """Until the page answers (the demo is seeded and indexed by then)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the stack stopped (see {self.log.name})")
            try:
                if requests.get(self.url + "/api/v1/health", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        raise SystemExit(f"the stack did not answer in {timeout:.0f} s (see {self.log.name})")

    def stop(self) -> None:
        """Ctrl-C, as a person would stop `make up`."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


def measure(base: str, paths: list[str], runs: int, out: Path) -> list[Result]:
    """Each path `runs` times; the median run of each (by performance score) is returned."""
    results: list[Result] = []
    for path in paths:
        url = base.rstrip("/") + path
        if requests.get(url, timeout=10).status_code == 404:
            print(f"{url:<34} (not served: skipped)")
            continue
        taken = [
            lighthouse(url, out / f"lighthouse-{path.strip('/') or 'page'}-{n}.json") for n in range(runs)
        ]
        median = statistics.median_low(r.performance for r in taken)
        chosen = next(r for r in taken if r.performance == median)
        results.append(chosen)
        print(chosen.line(), flush=True)
    return results


def main(argv: list[str] | None = None) -> None:
    """Parse the options, start a stack when no URL is given, print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="a running stack's base URL (default: start one on free ports)")
    parser.add_argument("--path", action="append", help="a path to measure (repeatable; default / and /app/)")
    parser.add_argument("--runs", type=int, default=1, help="runs per path; the median is printed")
    parser.add_argument(
        "--out", type=Path, help="where to keep the JSON reports (default: a temporary folder)"
    )
    args = parser.parse_args(argv)
    paths = args.path or list(PATHS)
    with tempfile.TemporaryDirectory(prefix="cmir-lighthouse-") as temporary:
        out = args.out or Path(temporary)
        out.mkdir(parents=True, exist_ok=True)
        if args.url:
            measure(args.url, paths, args.runs, out)
            return
        stack = Stack(Path(temporary))
        try:
            stack.wait()
            print(
                f"stack up at {stack.url}; Lighthouse 12, simulated mobile (Moto G Power, slow 4G)",
                flush=True,
            )
            measure(stack.url, paths, args.runs, out)
        finally:
            stack.stop()


if __name__ == "__main__":
    main()
