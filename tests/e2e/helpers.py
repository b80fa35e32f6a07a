"""Helpers of the end-to-end tests: the environment `make` gives its commands, the `cmir` command
line run as a user runs it (a subprocess), and a running `make up` (the `stack` fixture starts it)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from cmir.api.settings import Settings
from cmir.dev.devchain import free_port, rpc

ROOT = Path(__file__).resolve().parents[2]
#: How long the API may serve a cached response after the indexer moved (per process).
CHECKPOINT_TTL = float(os.environ.get("CMIR_CHECKPOINT_TTL", Settings.model_fields["checkpoint_ttl"].default))


def base_env() -> dict[str, str]:
    """The environment `make` gives its commands."""
    bins = [str(ROOT / "node_modules" / ".bin"), str(Path(sys.executable).parent)]
    return {
        **os.environ,
        "PATH": os.pathsep.join([*bins, os.environ.get("PATH", "")]),
        "SOLCX_BINARY_PATH": str(ROOT / ".solcx"),
        "APE_DATA_FOLDER": os.environ.get("APE_DATA_FOLDER", str(ROOT / ".build" / "ape-data")),
        "PYTHONUNBUFFERED": "1",
    }


@dataclass
class Result:
    """A finished command."""

    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err

    def tx(self) -> str:
        """The hash of the transaction the command reported done."""
        match = re.search(r"done: tx (0x[0-9a-f]{64})", self.out)
        assert match, self.text
        return match.group(1)


def cmir(*args: str, env: dict[str, str] | None = None, timeout: float = 180) -> Result:
    """Run `cmir ARGS` (python -m cmir.apps.cli, the console script's module) and capture it."""
    done = subprocess.run(  # noqa: S603 - this interpreter, our own module
        [sys.executable, "-m", "cmir.apps.cli", *args],
        cwd=ROOT,
        env=env or base_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


@dataclass
class Stack:
    """A running `make up`."""

    process: subprocess.Popen[str]
    rpc_url: str
    api_url: str
    state: Path
    deployment: Path
    accounts: dict[str, Any]
    output: list[str]

    def env(self) -> dict[str, str]:
        """The environment of a user of this stack."""
        return {**base_env(), "APE_FOUNDRY_HOST": self.rpc_url, "CMIR_DEPLOYMENT_FILE": str(self.deployment)}

    def account(self, index: int) -> dict[str, Any]:
        return dict(self.accounts["accounts"][index])

    def signer(self, index: int) -> list[str]:
        """--keyfile and --password-file of demo account `index`."""
        return [
            "--keyfile",
            self.account(index)["keyfile"],
            "--password-file",
            self.accounts["password_file"],
        ]

    def cmir(self, *args: str) -> Result:
        return cmir(*args, env=self.env())

    def wait_mirrored(self, timeout: float = 90) -> int:
        """Until the indexer has the chain's head and every API response shows it; returns that
        block. Each API process re-reads the indexer's checkpoint for its cached responses at
        most every `checkpoint_ttl` seconds (a response may trail a new block by that long): so
        once the indexer is seen at the head, that long must pass too, then a cached read shows
        the block (a later `cmir audit` reads that block, not the one before)."""
        deadline = time.monotonic() + timeout
        indexed: tuple[int, float] | None = None  # (head, when the indexer was seen at it)
        while time.monotonic() < deadline:
            head = int(rpc(self.rpc_url, "eth_blockNumber"), 16)
            if indexed is None or indexed[0] < head:
                indexed = None
                health = requests.get(f"{self.api_url}/api/v1/health", timeout=10).json()
                if (health["indexer"]["checkpoint_block"] or -1) >= head:
                    indexed = (head, time.monotonic())
            if indexed is not None and time.monotonic() - indexed[1] >= CHECKPOINT_TTL:
                pool = requests.get(f"{self.api_url}/api/v1/pool", timeout=10).json()
                if pool["as_of"]["block"] >= head:
                    return head
            time.sleep(0.2)
        raise AssertionError(f"the indexer and the API did not reach the head in {timeout} s")


def pump(process: subprocess.Popen[str], lines: list[str]) -> threading.Thread:
    """A thread collecting the process's output lines, to the end of its output."""
    assert process.stdout is not None
    stream = process.stdout

    def collect() -> None:
        for line in stream:
            lines.append(line.rstrip("\n"))

    thread = threading.Thread(target=collect, daemon=True)
    thread.start()
    return thread


def read_until(
    process: subprocess.Popen[str], marker: str, timeout: float, lines: list[str], reader: threading.Thread
) -> None:
    """Until an output line holds `marker`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(marker in line for line in lines):
            return
        if process.poll() is not None:
            reader.join(30)  # its last lines
            break
        time.sleep(0.2)
    raise AssertionError("the stack did not come up:\n" + "\n".join(lines[-40:]))


@contextmanager
def make_up(
    state: Path, extra_env: dict[str, str] | None = None, ready_within: float = 300
) -> Iterator[Stack]:
    """`make up` (scripts/local_chain.py) in the background on free ports, its state under
    `state`, until it prints its summary; stopped with SIGINT (Ctrl-C) on exit, which must
    happen within 60 s (the last lines are printed)."""
    anvil, api, metadata = free_port(), free_port(), free_port()
    env = {
        **base_env(),
        "CMIR_ANVIL_PORT": str(anvil),
        "CMIR_PORT": str(api),
        "CMIR_METADATA_PORT": str(metadata),
        "CMIR_STATE_DIR": str(state / "state"),
        "CMIR_DEPLOYMENT_FILE": str(state / "local.json"),
        "CMIR_DEMO_ACCOUNTS": str(state / "demo-accounts.json"),
        **(extra_env or {}),
    }
    process = subprocess.Popen(  # noqa: S603 - the `make up` script
        [sys.executable, str(ROOT / "scripts" / "local_chain.py")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    lines: list[str] = []
    pumping = pump(process, lines)
    try:
        read_until(process, "Ctrl-C stops everything", ready_within, lines, pumping)
        accounts = json.loads((state / "demo-accounts.json").read_text())
        yield Stack(
            process,
            f"http://127.0.0.1:{anvil}",
            f"http://127.0.0.1:{api}",
            state / "state",
            state / "local.json",
            accounts,
            lines,
        )
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                raise AssertionError("the stack did not stop within 60 s of Ctrl-C") from None
        pumping.join(30)  # the last lines, to the end of the output
        print("\n".join(lines[-12:]))
