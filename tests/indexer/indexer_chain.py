"""Test helpers: an anvil process on a free port, the CMIR contracts deployed on it, and
web3.py wrappers that send transactions from anvil's unlocked accounts."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from web3 import HTTPProvider, Web3

ROOT = Path(__file__).resolve().parents[2]
EUR = 10**6


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rpc(url: str, method: str, params: list[Any] | None = None) -> Any:
    """One raw JSON-RPC call; raises on an error reply."""
    reply = requests.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}, timeout=30
    ).json()
    if "error" in reply:
        raise RuntimeError(f"{method}: {reply['error']}")
    return reply["result"]


class Anvil:
    """An anvil process; `stop` ends it (by its own pid)."""

    def __init__(self, *extra: str) -> None:
        binary = shutil.which("anvil") or str(ROOT / "node_modules" / ".bin" / "anvil")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(  # noqa: S603 (our own anvil binary)
            [binary, "--port", str(self.port), "--silent", *extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                rpc(self.url, "eth_chainId")
                return
            except (requests.ConnectionError, RuntimeError):
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


def deploy(url: str, out: Path, founders: list[str], steward: str) -> dict[str, Any]:
    """Deploy through Ape (cmir.deployment, as `ape run deploy`) and return the record."""
    env = dict(os.environ)
    env.setdefault("APE_DATA_FOLDER", str(ROOT / ".build" / "ape-data"))
    env.setdefault("SOLCX_BINARY_PATH", str(ROOT / ".solcx"))
    env["PATH"] = f"{ROOT / 'node_modules' / '.bin'}:{Path(sys.executable).parent}:{env.get('PATH', '')}"
    command = [
        sys.executable,
        str(Path(__file__).with_name("deploy_chain.py")),
        url,
        str(out),
        *founders,
        "--steward",
        steward,
    ]
    done = subprocess.run(  # noqa: S603 (this interpreter, our own script)
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"deployment failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    record: dict[str, Any] = json.loads(out.read_text())
    return record


@dataclass
class Dao:
    """The deployed contracts as web3.py contract objects, and anvil's accounts."""

    url: str
    record_path: Path
    w3: Web3
    accounts: list[str]
    token: Any
    membership: Any
    registry: Any
    pool: Any
    governor: Any
    timelock: Any

    @classmethod
    def connect(cls, url: str, record_path: Path) -> Dao:
        """Wrap a deployment on `url`."""
        w3 = Web3(HTTPProvider(url, request_kwargs={"timeout": 60}))
        record = json.loads(record_path.read_text())
        contracts = {
            name: w3.eth.contract(address=Web3.to_checksum_address(c["address"]), abi=c["abi"])
            for name, c in record["contracts"].items()
        }
        return cls(url=url, record_path=record_path, w3=w3, accounts=list(w3.eth.accounts), **contracts)

    def send(self, contract: Any, function: str, *args: Any, sender: str) -> Any:
        """Send a transaction and wait for its receipt; fails the test on a revert."""
        tx_hash = getattr(contract.functions, function)(*args).transact({"from": sender})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        assert receipt["status"] == 1, f"{function}{args} reverted"
        return receipt

    def calldata(self, contract: Any, function: str, *args: Any) -> str:
        """ABI-encoded call, for proposals and reorg transactions."""
        return str(contract.encode_abi(function, args=list(args)))

    def travel(self, seconds: int) -> None:
        """Move the clock forward and mine a block."""
        rpc(self.url, "evm_increaseTime", [seconds])
        rpc(self.url, "evm_mine")

    def head(self) -> int:
        """The latest block number."""
        return int(self.w3.eth.block_number)

    def now(self) -> int:
        """The latest block's timestamp."""
        return int(self.w3.eth.get_block("latest")["timestamp"])
