"""The relayer's test world: a real anvil with the contracts deployed (the forwarder with them), a
migrated SQLite file for the relayer's tables, the API over it, a sender holding an operator key,
and a member whose key is fresh: it never holds any ether."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils.crypto import keccak
from fastapi.testclient import TestClient
from web3 import HTTPProvider, Web3

from cmir.api.app import create_app
from cmir.api.settings import Settings
from cmir.chain import eip712
from cmir.chain.ballots import Ballot
from cmir.chain.deployment import load_deployment
from cmir.chain.eip712 import Domain
from cmir.chain.forwarder import ForwardRequest
from cmir.chain.settings import RelayerSettings
from cmir.dev.devchain import Anvil, deploy_founders, rpc
from cmir.relayer.sender import Sender
from cmir.store.session import make_engine, upgrade

EUR = 10**6
MNEMONIC = "test test test test test test test test test test test junk"
ABEILLE = 1
GAS = 500_000


def anvil_key(index: int) -> LocalAccount:
    """anvil's account `index` (its default mnemonic)."""
    Account.enable_unaudited_hdwallet_features()
    account: LocalAccount = Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return account


@dataclass
class RelayWorld:
    """The chain, the contracts (web3), the database and the keys of the relayer's tests."""

    url: str
    record: Path
    db_url: str
    w3: Web3
    contracts: dict[str, Any]
    founders: list[LocalAccount]
    operator: LocalAccount
    member: LocalAccount

    def settings(self, **overrides: Any) -> Settings:
        """API settings for this world."""
        values: dict[str, Any] = {
            "database_url": self.db_url,
            "rpc_url": self.url,
            "deployment_file": self.record,
        }
        return Settings(**{**values, **overrides})

    def sender_settings(self) -> RelayerSettings:
        """The sender's settings for this world."""
        return RelayerSettings(
            database_url=self.db_url,
            rpc_url=self.url,
            deployment_file=self.record,
            relay_poll_interval=0.05,
            relay_backoff_base=0.05,
            relay_backoff_max=0.2,
            relay_lease_seconds=2,  # a crashed sender's lease lapses quickly
        )

    def sender(self) -> Sender:
        """A sender with the operator's key (a new one: as after a restart)."""
        engine = make_engine(self.db_url)
        return Sender(self.sender_settings(), load_deployment(self.record), self.operator, engine)

    def send_all(self) -> None:
        """Run a sender until nothing accepted or sent is left."""
        sender = self.sender()
        try:
            sender.run(once=True)
        finally:
            sender.client.close()
            sender.engine.dispose()

    def transact(self, role: str, function: str, *args: Any, sender: LocalAccount) -> Any:
        """A direct transaction from an anvil account (it pays its own gas); asserts success."""
        tx_hash = getattr(self.contracts[role].functions, function)(*args).transact({"from": sender.address})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash)
        assert receipt["status"] == 1, f"{function}{args} reverted"
        return receipt

    def travel(self, seconds: int) -> None:
        """Move the chain's clock and mine a block."""
        rpc(self.url, "evm_increaseTime", [seconds])
        rpc(self.url, "evm_mine")

    def now(self) -> int:
        """The chain's clock."""
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def domain(self, role: str) -> Domain:
        """The EIP-712 domain of a contract, read from it."""
        return Domain.from_eip712_domain(self.contracts[role].functions.eip712Domain().call())

    def calldata(self, role: str, function: str, *args: Any) -> bytes:
        """The encoded call."""
        return bytes.fromhex(self.contracts[role].encode_abi(function, args=list(args))[2:])

    def forward(
        self,
        signer: LocalAccount,
        role: str,
        function: str,
        *args: Any,
        key: LocalAccount | None = None,
        **fields: Any,
    ) -> dict[str, Any]:
        """The body of ``POST /relay/forward``: `signer`'s request to call `function(args)` on
        `role`, signed with `key` (default: the signer's own)."""
        values: dict[str, Any] = {
            "sender": signer.address,
            "to": self.contracts[role].address,
            "data": self.calldata(role, function, *args),
            "gas": GAS,
            "nonce": int(self.contracts["forwarder"].functions.nonces(signer.address).call()),
            "deadline": self.now() + 3_600,
        }
        values.update(fields)
        request = ForwardRequest(**values)
        signature = request.sign(self.domain("forwarder"), (key or signer).key)
        return {
            "request": {
                "from": request.sender,
                "to": request.to,
                "value": str(request.value),
                "gas": request.gas,
                "nonce": str(request.nonce),
                "deadline": request.deadline,
                "data": "0x" + request.data.hex(),
            },
            "signature": "0x" + signature.hex(),
        }

    def ballot(self, voter: LocalAccount, proposal_id: int, support: int, reason: str) -> dict[str, Any]:
        """The body of ``POST /relay/vote``."""
        nonce = int(self.contracts["governor"].functions.nonces(voter.address).call())
        signature = Ballot(proposal_id, support, voter.address, nonce, reason).sign(
            self.domain("governor"), voter.key
        )
        return {
            "proposal_id": str(proposal_id),
            "support": support,
            "voter": voter.address,
            "reason": reason,
            "signature": "0x" + signature.hex(),
        }

    def permit(self, owner: LocalAccount, value: int, deadline: int) -> tuple[int, bytes, bytes]:
        """`owner`'s permit letting the pool take `value`."""
        token = self.contracts["token"]
        data = eip712.permit(
            self.domain("token"),
            owner.address,
            self.contracts["pool"].address,
            value,
            int(token.functions.nonces(owner.address).call()),
            deadline,
        )
        return eip712.sign(data, owner.key)

    def propose(self, proposer: LocalAccount, description: str) -> int:
        """A proposal (setting the minimum relation fee) bound to `proposer`; returns its id."""
        pool = self.contracts["pool"]
        targets, values = [pool.address], [0]
        calldatas = ["0x" + self.calldata("pool", "setMinRelationFee", 11 * EUR).hex()]
        bound = f"{description}\n\n#proposer={proposer.address.lower()}"
        # the Governor counts the proposer's vote at the second before: a founder proposing in
        # its deployment's second has none yet, however fast the test got here
        self.travel(1)
        self.transact("governor", "propose", targets, values, calldatas, bound, sender=proposer)
        governor = self.contracts["governor"]
        return int(governor.functions.hashProposal(targets, values, calldatas, keccak(text=bound)).call())


@contextmanager
def relay_world(tmp: Path) -> Iterator[RelayWorld]:
    """A fresh anvil and deployment (founders: anvil's 1 Pilote, 2 Abeille, 3 ESS structure;
    steward 4), the relayer's database migrated, anvil's account 9 as operator, and a member key
    with no ether (not joined yet); anvil stops on exit."""
    anvil = Anvil()
    try:
        record = tmp / "deployment.json"
        deploy_founders(anvil.url, record)
        raw = json.loads(record.read_text())
        w3 = Web3(HTTPProvider(anvil.url, request_kwargs={"timeout": 60}))
        contracts = {
            role: w3.eth.contract(address=Web3.to_checksum_address(c["address"]), abi=c["abi"])
            for role, c in raw["contracts"].items()
        }
        db_url = f"sqlite:///{tmp / 'relay.sqlite3'}"
        engine = make_engine(db_url)
        upgrade(engine)
        engine.dispose()
        yield RelayWorld(
            url=anvil.url,
            record=record,
            db_url=db_url,
            w3=w3,
            contracts=contracts,
            founders=[anvil_key(i) for i in (1, 2, 3)],
            operator=anvil_key(9),
            member=Account.create(),
        )
    finally:
        anvil.stop()


@contextmanager
def api(world: RelayWorld, **overrides: Any) -> Iterator[TestClient]:
    """The API over the world's database and chain (lifespan running)."""
    with TestClient(create_app(world.settings(**overrides))) as client:
        yield client
