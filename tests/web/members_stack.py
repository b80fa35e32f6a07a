"""The stack the members' app is tested on: `make up` itself (scripts/local_chain.py: anvil, the
contracts, the seeded demo, the indexer following the chain, the API with the demo wallet on), in
the background on free ports with its state in a temporary folder, as the end-to-end tests start
it; and what the tests read behind the app's back (contract views through web3)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from tests.e2e.helpers import Stack, make_up


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """`make up` on free ports; stopped with SIGINT (Ctrl-C) at the end."""
    state = tmp_path_factory.mktemp("members-stack")
    with make_up(state, {"CMIR_POLL_INTERVAL": "0.5"}, ready_within=400) as running:
        yield running


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
