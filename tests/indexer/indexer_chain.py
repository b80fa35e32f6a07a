"""Test helpers: web3.py wrappers around the CMIR contracts deployed on an anvil, sending
transactions from anvil's unlocked accounts. The anvil process and the deployment come from
`cmir.dev.devchain` (re-exported here for the tests that import them from this module)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from web3 import HTTPProvider, Web3

from cmir.dev.devchain import Anvil, deploy, deploy_founders, free_port, rpc

__all__ = ["EUR", "Anvil", "Dao", "deploy", "deploy_dao", "deploy_founders", "free_port", "rpc"]

EUR = 10**6


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
    forwarder: Any = None  # the ERC-2771 forwarder (records written before it have none)

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


def deploy_dao(tmp: Path) -> tuple[Anvil, Dao]:
    """A fresh anvil with the contracts deployed: founders accounts 1 (Pilote), 2 (Abeille) and
    3 (ESS structure), steward account 4."""
    anvil = Anvil()
    try:
        record = tmp / "deployment.json"
        deploy_founders(anvil.url, record)
        return anvil, Dao.connect(anvil.url, record)
    except Exception:
        anvil.stop()
        raise
