"""The bench's chain: an anvil whose genesis is a year ago, the contracts deployed on it, then one
block per day up to now (the synthetic events live in those blocks, the checkpoint is the last)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from backend.bench.fill import Block
from backend.settings import ROOT

DAY = 86_400


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rpc(url: str, method: str, params: list[Any] | None = None) -> Any:
    """One JSON-RPC call."""
    reply = httpx.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}, timeout=120
    )
    body = reply.json()
    if "error" in body:
        raise RuntimeError(f"{method}: {body['error']}")
    return body["result"]


class Anvil:
    """An anvil process on a free port, stopped by its own pid."""

    def __init__(self, genesis_time: int) -> None:
        binary = shutil.which("anvil") or str(ROOT / "node_modules" / ".bin" / "anvil")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(  # noqa: S603 (our own anvil binary)
            [binary, "--port", str(self.port), "--silent", "--timestamp", str(genesis_time)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                rpc(self.url, "eth_chainId")
                return
            except (httpx.HTTPError, RuntimeError):
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("anvil did not start") from None
                time.sleep(0.1)

    def stop(self) -> None:
        """Terminate the process."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def deploy(url: str, out: Path) -> None:
    """Deploy through Ape in a subprocess (this interpreter)."""
    env = dict(os.environ)
    env.setdefault("APE_DATA_FOLDER", str(ROOT / ".build" / "ape-data"))
    env.setdefault("SOLCX_BINARY_PATH", str(ROOT / ".solcx"))
    env["PATH"] = f"{ROOT / 'node_modules' / '.bin'}:{Path(sys.executable).parent}:{env.get('PATH', '')}"
    done = subprocess.run(  # noqa: S603 (this interpreter, our own module)
        [sys.executable, "-m", "backend.bench.deploy", url, str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"deployment failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


def daily_blocks(url: str, days: int) -> list[Block]:
    """Mine one block per day for `days` days and return their headers."""
    first = int(rpc(url, "eth_blockNumber"), 16) + 1
    rpc(url, "anvil_mine", [hex(days), hex(DAY)])
    payload = [
        {"jsonrpc": "2.0", "id": n, "method": "eth_getBlockByNumber", "params": [hex(n), False]}
        for n in range(first, first + days)
    ]
    replies = httpx.post(url, json=payload, timeout=120).json()
    headers = sorted((r["result"] for r in replies), key=lambda h: int(h["number"], 16))
    return [Block(int(h["number"], 16), h["hash"], int(h["timestamp"], 16)) for h in headers]
