"""A chain for the auditor's tests: the real contracts on a fresh anvil, driven through many
epochs with every rule the audit replays at work — fees and relations while no point has
matured, relations whose members' part exceeds the epoch's reward cap, a contribution, a
surplus, claims (before and after the roll-over), exclusions with matured and pending points,
the shares and the reward cap changed, the epoch length changed mid-epoch, and the clock moved
over many epochs at once. Governance calls are sent as the timelock (anvil's impersonation)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from web3 import Web3

from cmir.dev.devchain import Anvil, deploy_founders, rpc

TOKEN = 10**6  # TestEuro has 6 decimals


@dataclass
class AuditChain:
    """The deployed contracts and the accounts that play on them."""

    url: str
    record_path: Path
    record: dict[str, Any]
    w3: Web3
    accounts: list[str]
    members: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    blocks: dict[str, int] = field(default_factory=dict)  # named moments of the scenario

    def contract(self, role: str) -> Any:
        entry = self.record["contracts"][role]
        return self.w3.eth.contract(address=entry["address"], abi=entry["abi"])

    @property
    def pool(self) -> Any:
        return self.contract("pool")

    @property
    def membership(self) -> Any:
        return self.contract("membership")

    @property
    def token(self) -> Any:
        return self.contract("token")

    @property
    def timelock(self) -> str:
        return str(self.record["contracts"]["timelock"]["address"])

    def send(self, call: Any, sender: str) -> dict[str, Any]:
        """Send `call` from `sender` (anvil mines it at once); its receipt, which must succeed."""
        tx = call.transact({"from": sender})
        receipt = dict(self.w3.eth.wait_for_transaction_receipt(tx))
        assert receipt["status"] == 1, receipt
        return receipt

    def govern(self, call: Any) -> dict[str, Any]:
        """`call` sent by the timelock, as an executed proposal would."""
        return self.send(call, self.timelock)

    def to_epoch(self, epoch: int, offset: int = 1) -> None:
        """The next block `offset` seconds into `epoch` (on the pool's clock now)."""
        start = int(self.pool.functions.epochEndsAt(epoch - 1).call())
        rpc(self.url, "evm_setNextBlockTimestamp", [start + offset])

    def epoch(self) -> int:
        """The epoch of the head."""
        return int(self.pool.functions.epoch().call())

    def pay(self, payer: int, counterparty: int, tokens: int, ref: str) -> None:
        self.send(
            self.pool.functions.payRelation(
                self.accounts[counterparty], tokens * TOKEN, Web3.keccak(text=ref)
            ),
            self.accounts[payer],
        )

    def invite(self, sponsor: int, invitee: int, kind: int = 0) -> None:
        """`sponsor` (past its probation, with an invitation left) invites; the invitee accepts,
        naming that sponsor and kind."""
        self.send(self.membership.functions.invite(self.accounts[invitee], kind), self.accounts[sponsor])
        self.send(
            self.membership.functions.acceptInvitation(self.accounts[sponsor], kind), self.accounts[invitee]
        )
        self.members.append(self.accounts[invitee])

    def claim(self, member: int) -> None:
        self.send(self.pool.functions.claim(), self.accounts[member])

    def exclude(self, member: int) -> None:
        self.govern(self.membership.functions.exclude(self.accounts[member], "audit test"))
        self.excluded.append(self.accounts[member])

    def mark(self, name: str) -> None:
        self.blocks[name] = int(self.w3.eth.block_number)


def play(chain: AuditChain) -> None:
    """The scenario (see the module's docstring); `chain.blocks` names its moments."""
    pool, a = chain.pool, chain.accounts
    rpc(chain.url, "anvil_impersonateAccount", [chain.timelock])
    rpc(chain.url, "anvil_setBalance", [chain.timelock, hex(10**20)])
    for account in a[1:25]:
        chain.send(chain.token.functions.mint(account, 100_000 * TOKEN), a[0])
        chain.send(chain.token.functions.approve(pool.address, 2**255), account)
    chain.members += a[1:4]

    # Epoch 1: fees and relations, no matured point: the members' part all goes to ESS.
    chain.govern(chain.membership.functions.setMembershipFee(5 * TOKEN))
    for sponsor, invitee in ((1, 5), (1, 6), (2, 7), (2, 8), (3, 9), (3, 10)):
        chain.invite(sponsor, invitee)
    chain.pay(5, 7, 20, "E1-1")
    chain.pay(1, 2, 50, "E1-2")
    chain.pay(6, 8, 15, "E1-3")

    # Epoch 2: the first booking matures epoch 1's points; far more money than the cap lets
    # matured points earn in one epoch; a contribution; claims before and after the roll-over.
    chain.to_epoch(2)
    chain.invite(1, 11)  # a founder: 5 is still in probation (a minute, on the local settings)
    for index, (payer, counterparty) in enumerate(((7, 5), (8, 6), (9, 10), (2, 3), (10, 9), (6, 1))):
        chain.pay(payer, counterparty, 100, f"E2-{index}")
    chain.send(pool.functions.contribute(30 * TOKEN, "contribution au pot commun"), a[12])
    chain.claim(5)
    chain.claim(7)
    chain.claim(1)

    # Epoch 3: a surplus (tokens sent without a call), booked all to ESS; it rolls over.
    chain.to_epoch(3)
    chain.send(chain.token.functions.transfer(pool.address, 7 * TOKEN), a[13])
    chain.send(pool.functions.accountSurplus(), a[13])
    chain.pay(11, 5, 12, "E3-1")

    # Epoch 10: seven epochs later; an exclusion of a member with matured points only.
    chain.to_epoch(10)
    chain.pay(5, 8, 40, "E10-1")
    chain.exclude(9)
    chain.pay(7, 10, 25, "E10-2")
    chain.claim(11)

    # Epoch 11: the shares and the cap change; a member earns then is excluded in the same
    # epoch (pending points removed); a frozen member claims what it had accrued.
    chain.to_epoch(11)
    chain.govern(pool.functions.setShares((4000, 4000, 2000)))
    chain.govern(pool.functions.setEpochRewardCap(2000))
    chain.pay(10, 6, 60, "E11-1")
    chain.pay(6, 10, 35, "E11-2")
    chain.exclude(10)
    chain.claim(9)
    chain.invite(6, 12)

    # Epoch 12: the length changes mid-epoch (30 s from epoch 13 on; epoch 12 keeps its end).
    chain.to_epoch(12, offset=5)
    chain.pay(12, 7, 22, "E12-1")
    chain.govern(pool.functions.setEpochLength(30))
    chain.pay(7, 12, 18, "E12-2")
    chain.to_epoch(13)
    chain.pay(8, 11, 30, "E13-1")
    chain.send(pool.functions.contribute(11 * TOKEN, "encore"), a[14])

    # Epoch 20: claims before any booking (the last booking's points mature virtually), then an
    # exclusion that rolls over and settles pending points of an ended epoch.
    chain.to_epoch(20)
    chain.claim(8)
    chain.claim(12)
    chain.exclude(11)
    chain.pay(12, 8, 45, "E20-1")
    chain.pay(2, 12, 16, "E20-2")
    chain.mark("pending")  # the last booking's points still pending at this block

    # Much later, no booking: totals() counts the last booking's points as matured.
    chain.to_epoch(500)
    rpc(chain.url, "evm_mine")
    chain.mark("later")


@contextmanager
def audit_chain(folder: Path) -> Iterator[AuditChain]:
    """The scenario played on a fresh anvil (30 accounts), stopped at the end."""
    anvil = Anvil("--accounts", "30")
    try:
        record = deploy_founders(anvil.url, folder / "audit-chain.json")
        w3 = Web3(Web3.HTTPProvider(anvil.url))
        accounts: list[str] = [Web3.to_checksum_address(x) for x in rpc(anvil.url, "eth_accounts")]
        chain = AuditChain(anvil.url, folder / "audit-chain.json", record, w3, accounts)
        play(chain)
        yield chain
    finally:
        anvil.stop()
