"""The stack the members' app is tested on: `make up` itself (scripts/local_chain.py: anvil, the
contracts, the seeded demo, the indexer following the chain, the API with the demo wallet on), in
the background on free ports with its state in a temporary folder, as the end-to-end tests start
it; and what the tests read behind the app's back (contract views through web3)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from cmir.dev.devchain import free_port
from tests.e2e.helpers import ROOT, Stack, base_env, pump, read_until


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """`make up` on free ports; stopped with SIGINT (Ctrl-C) at the end."""
    state = tmp_path_factory.mktemp("members-stack")
    anvil, api, metadata = free_port(), free_port(), free_port()
    env = {
        **base_env(),
        "CMIR_ANVIL_PORT": str(anvil),
        "CMIR_PORT": str(api),
        "CMIR_METADATA_PORT": str(metadata),
        "CMIR_STATE_DIR": str(state / "state"),
        "CMIR_DEPLOYMENT_FILE": str(state / "local.json"),
        "CMIR_DEMO_ACCOUNTS": str(state / "demo-accounts.json"),
        "CMIR_POLL_INTERVAL": "0.5",
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
        read_until(process, "Ctrl-C stops everything", 400, lines, pumping)
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
        pumping.join(30)


class Chain:
    """The stack's contracts through web3, to check what the app did."""

    def __init__(self, stack: Stack) -> None:
        self.w3 = Web3(Web3.HTTPProvider(stack.rpc_url, request_kwargs={"timeout": 30}))
        record = json.loads(Path(stack.deployment).read_text())
        self.contracts = {
            role: self.w3.eth.contract(address=Web3.to_checksum_address(c["address"]), abi=c["abi"])
            for role, c in record["contracts"].items()
        }

    def call(self, role: str, function: str, *args: Any) -> Any:
        """A view of contract `role`."""
        return self.contracts[role].functions[function](*args).call()

    def set_balance(self, address: str, wei: int) -> None:
        """anvil_setBalance: the account holds exactly `wei`."""
        self.w3.provider.make_request("anvil_setBalance", [address, hex(wei)])  # type: ignore[arg-type]

    def is_member(self, address: str) -> bool:
        """Joined (and not excluded)."""
        record = self.call("membership", "memberOf", address)
        return bool(record[1]) and not record[4]
