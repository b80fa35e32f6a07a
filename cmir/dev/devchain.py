"""A development chain for the benchmarks and the tests: an anvil process on a free loopback
port, and the CMIR contracts deployed on it through Ape.

``python -m cmir.dev.devchain RPC_URL OUT_JSON [ADDRESS:KIND ...] [--steward ADDRESS] [--guardian
ADDRESS] [--settings NAME]`` (from the repository root) deploys on a running anvil and writes the
deployment record: it runs inside Ape (it compiles nothing new: the project's build is reused)
and calls `cmir.chain.deploy.deploy` and `write_record` exactly as ``ape run deploy`` does, with
the first test account as deployer, as the only founder (a Pilote) unless founders are given, and
as steward unless ``--steward`` is; no guardian unless ``--guardian`` names one; the
``ethereum:local`` settings unless ``--settings`` names another entry of settings.yaml.
`deploy` runs it in a subprocess of this interpreter, so that Ape stays out of the caller.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eth_utils.address import to_checksum_address

from cmir.chain.errors import RpcError
from cmir.chain.paths import project_root
from cmir.chain.rpc import request

ROOT = project_root()


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rpc(url: str, method: str, params: list[Any] | None = None, timeout: float = 30.0) -> Any:
    """One raw JSON-RPC call (`cmir.chain.rpc.request`, not retried); raises `RpcError` when it
    fails (`RpcResponseError` on an error reply)."""
    return request(url, method, params or [], timeout=timeout)


def anvil_binary() -> str:
    """The anvil on PATH, else the project's (node_modules/.bin)."""
    return shutil.which("anvil") or str(ROOT / "node_modules" / ".bin" / "anvil")


class Anvil:
    """An anvil process on a free port, started with `extra` arguments and waited for until it
    answers (at most `start_timeout` seconds); `stop` ends it by its own pid: SIGTERM (anvil then
    writes its --dump-state file, if any), SIGKILL if it lingers `stop_timeout` seconds."""

    def __init__(self, *extra: str, start_timeout: float = 30.0, stop_timeout: float = 10.0) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.stop_timeout = stop_timeout
        self.process = subprocess.Popen(  # noqa: S603 (the project's own anvil)
            [anvil_binary(), "--port", str(self.port), "--silent", *extra],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + start_timeout
        while True:
            try:
                rpc(self.url, "eth_chainId")
                return
            except RpcError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("anvil did not start") from None
                time.sleep(0.1)

    def stop(self) -> None:
        """Terminate the process."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def deploy(
    url: str,
    out: Path,
    founders: Sequence[str] = (),
    steward: str | None = None,
    timeout: float = 300.0,
    guardian: str | None = None,
    settings: str | None = None,
) -> dict[str, Any]:
    """Deploy on the anvil at `url` through Ape (``python -m cmir.dev.devchain``, in a subprocess)
    and return the record written to `out`. `founders` are ADDRESS:KIND items (default: the
    deployer, a Pilote); the steward defaults to the deployer; no guardian by default; the
    settings are `ethereum:local`'s unless `settings` names another entry."""
    env = dict(os.environ)
    env.setdefault("APE_DATA_FOLDER", str(ROOT / ".build" / "ape-data"))
    env.setdefault("SOLCX_BINARY_PATH", str(ROOT / ".solcx"))
    env["PATH"] = f"{ROOT / 'node_modules' / '.bin'}:{Path(sys.executable).parent}:{env.get('PATH', '')}"
    command = [sys.executable, "-m", "cmir.dev.devchain", url, str(out), *founders]
    if steward is not None:
        command += ["--steward", steward]
    if guardian is not None:
        command += ["--guardian", guardian]
    if settings is not None:
        command += ["--settings", settings]
    done = subprocess.run(  # noqa: S603 (this interpreter, our own module)
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"deployment failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    record: dict[str, Any] = json.loads(out.read_text())
    return record


def deploy_founders(
    url: str, out: Path, timeout: float = 300.0, guardian: str | None = None
) -> dict[str, Any]:
    """`deploy` with anvil's accounts 1 (Pilote), 2 (Abeille) and 3 (EssStructure) as founders
    and account 4 as steward, the layout the indexer's tests and benchmark play on (and
    `guardian`, none by default)."""
    accounts = [to_checksum_address(a) for a in rpc(url, "eth_accounts")]
    founders = [f"{accounts[1]}:Pilote", f"{accounts[2]}:Abeille", f"{accounts[3]}:EssStructure"]
    return deploy(url, out, founders, accounts[4], timeout, guardian=guardian)


def main(argv: list[str]) -> int:
    """Connect Ape to `argv[0]`, deploy, write the record to `argv[1]`."""
    rpc_url, out = argv[0], Path(argv[1])
    rest = argv[2:]
    options: dict[str, str] = {}
    for name in ("--steward", "--guardian", "--settings"):
        if name in rest:
            index = rest.index(name)
            options[name] = rest[index + 1]
            rest = rest[:index] + rest[index + 2 :]
    steward = options.get("--steward")
    os.environ["APE_FOUNDRY_HOST"] = rpc_url
    from ape import accounts, networks

    from cmir.chain.deploy import ZERO_ADDRESS, NetworkSettings, write_record
    from cmir.chain.deploy import deploy as deploy_contracts

    with networks.parse_network_choice("ethereum:local:foundry"):
        deployer = accounts.test_accounts[0]
        founders = [(address, kind) for address, _, kind in (item.partition(":") for item in rest)]
        founders = founders or [(str(deployer.address), "Pilote")]
        settings = NetworkSettings.for_network(options.get("--settings", "ethereum:local"))
        deployment = deploy_contracts(
            deployer,
            settings,
            founders,
            steward or str(deployer.address),
            options.get("--guardian", ZERO_ADDRESS),
        )
        write_record(deployment, "ethereum:local", out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
