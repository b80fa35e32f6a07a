"""The stage the governance attacks are played on: a deployment and the accounts around it.

`Stage` wraps a deployment made by `deploy_on_test_accounts` (its founders, steward, guardian, and
the timelock impersonated for honest background decisions) with what an attack needs: the clock,
new accounts and members, money in the pool's buckets, proposals passed through the real
Governor, and `attempt`, which tries an attacker's transaction and records the custom error the
contracts refuse it with (`Blocked`). `cmir.dev.governance_attacks` replays issue 11's attacks on it
and `cmir.dev.capture` plays the timed capture. Development chains only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from eth_utils.address import is_address, to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes

from cmir.chain import governance as gov
from cmir.chain.deploy import MEMBER_KINDS, ZERO_ADDRESS, Deployment

EUR = 10**6
ABEILLE = MEMBER_KINDS["Abeille"]
ESS_STRUCTURE = MEMBER_KINDS["EssStructure"]
_ETHER = 10**18


class GovernanceAttackError(Exception):
    """The chain or the deployment cannot play the attack as asked."""


@dataclass(frozen=True)
class Blocked:
    """A step of an attack the contracts refused: what was tried, and the custom error it reverted
    with (its name and inputs; addresses checksummed, bytes as 0x-hex, numbers as ints)."""

    step: str
    error: str
    inputs: dict[str, Any]

    def as_tuple(self) -> tuple[str, dict[str, Any]]:
        """(error, inputs): what tests compare."""
        return (self.error, self.inputs)


@dataclass
class Stage:
    """A deployment made by `deploy_on_test_accounts` and the accounts around it: its three founders
    (a Pilote, an Abeille, an ESS structure), the steward, the guardian (if any), and the timelock
    impersonated for honest background decisions."""

    deployment: Deployment
    pilote: Any
    abeille: Any
    ess_structure: Any
    steward: Any
    guardian: Any
    timelock: Any
    attester: Any = None

    @classmethod
    def on(cls, deployment: Deployment, accounts: Any, guardian: Any = None) -> Stage:
        """The stage of `deployment`, deployed on `accounts` (Ape's test accounts) with `guardian`."""
        from ape import accounts as ape_accounts
        from ape import chain

        if not chain.provider.network.is_dev:
            raise GovernanceAttackError(
                "attacks are replayed on a development chain (they impersonate the timelock)"
            )
        timelock = ape_accounts[str(deployment.timelock.address)]
        timelock.balance = 10 * _ETHER
        return cls(deployment, accounts[1], accounts[2], accounts[3], accounts[4], guardian, timelock)

    # -- the contracts

    @property
    def membership(self) -> Any:
        return self.deployment.membership

    @property
    def registry(self) -> Any:
        return self.deployment.registry

    @property
    def pool(self) -> Any:
        return self.deployment.pool

    @property
    def governor(self) -> Any:
        return self.deployment.governor

    @property
    def token(self) -> Any:
        return self.deployment.token

    @property
    def founders(self) -> list[Any]:
        """The three founders, who vote from the start."""
        return [self.pilote, self.abeille, self.ess_structure]

    # -- the clock

    def now(self) -> int:
        """The latest block's timestamp."""
        from ape import chain

        return int(chain.blocks.head.timestamp)

    def travel_to(self, timestamp: int) -> None:
        """Mine a block at `timestamp` unless the chain is already there."""
        from ape import chain

        if chain.blocks.head.timestamp < timestamp:
            chain.mine(timestamp=timestamp)

    def travel(self, seconds: int) -> None:
        """Move the clock `seconds` on."""
        self.travel_to(self.now() + seconds)

    # -- members

    def account(self) -> Any:
        """A new test account with ether for gas."""
        from ape import accounts

        account = accounts.test_accounts.generate_test_account()
        account.balance = 10 * _ETHER
        return account

    def admit(self, kind: int = ABEILLE, sponsor: Any = None) -> Any:
        """Governance admits a new account (it serves its probation like anyone)."""
        account = self.account()
        self.membership.admit(account, kind, sponsor or ZERO_ADDRESS, sender=self.timelock)
        return account

    def serve_probation(self, *members: Any, invitations: int = 0) -> None:
        """Move the clock until every one of `members` votes (and has earned `invitations`), a second
        past it: a proposer's votes are read at the second before its proposal, and anvil may mine
        the next block in the same second."""
        refill = int(self.membership.rules().invitationRefillPeriod)
        until = max(int(self.membership.memberOf(m).votesFrom) for m in members) + invitations * refill
        self.travel_to(until + 1)

    def name_attester(self) -> Any:
        """Governance names an attester of ESS structures (a regional CRESS, say)."""
        # A replay played in a snapshot may have named one since reverted.
        if self.attester is None or not self.membership.isAttester(self.attester):
            self.attester = self.account()
            self.membership.setAttester(self.attester, True, sender=self.timelock)
        return self.attester

    def join(self, sponsor: Any, account: Any, kind: int = ABEILLE) -> None:
        """`sponsor` invites `account`, which accepts naming that sponsor and kind (an ESS structure
        is attested first)."""
        self.membership.invite(account, kind, sender=sponsor)
        if kind == ESS_STRUCTURE:
            self.membership.attestEssStructure(account, sender=self.name_attester())
        self.membership.acceptInvitation(sponsor, kind, sender=account)

    # -- money

    def mint(self, account: Any, amount: int) -> None:
        """Give `account` `amount` test euros (the open mint, or the testnet faucet within its daily
        allowance) and approve the pool for them."""
        if self.token.contract_type.name == "TestnetEuro":
            left = int(self.token.faucetLeft(account))
            if amount > left:
                raise GovernanceAttackError(f"the testnet faucet gives {account} at most {left} today")
            self.token.faucet(amount, sender=account)
        else:
            self.token.mint(account, amount, sender=account)
        self.token.approve(self.pool, amount, sender=account)

    def contribute(self, amount: int, memo: str = "Soutien au réseau") -> tuple[int, int]:
        """Outsiders contribute `amount` in all; returns what the ESS bucket and the collective fund
        received."""
        chunk = amount
        if self.token.contract_type.name == "TestnetEuro":
            chunk = int(self.token.DAILY_ALLOWANCE())
        ess, collective = int(self.pool.essAvailable()), int(self.pool.collectiveAvailable())
        left = amount
        while left > 0:
            part = min(chunk, left)
            contributor = self.account()
            self.mint(contributor, part)
            self.pool.contribute(part, memo, sender=contributor)
            left -= part
        return int(self.pool.essAvailable()) - ess, int(self.pool.collectiveAvailable()) - collective

    def project(self, owner: Any, wallet: Any, name: str) -> int:
        """`owner` (an ESS structure) registers a project paid to `wallet`; governance activates it."""
        project_id = self.register(owner, wallet, name)
        self.registry.activateProject(project_id, 1, sender=self.timelock)
        return project_id

    def register(self, owner: Any, wallet: Any, name: str) -> int:
        """`owner` registers a project paid to `wallet` (inactive until governance activates it)."""
        metadata = f'{{"name": "{name}", "territory": "69123"}}'.encode()
        uri = f"ipfs://{keccak(metadata).hex()[:16]}.json"
        receipt = self.registry.registerProject(wallet, uri, keccak(metadata), sender=owner)
        return int(receipt.events[0].projectId)

    def paid_to(self, wallet: Any) -> int:
        """Token units `wallet` holds."""
        return int(self.token.balanceOf(wallet))

    # -- votes

    def pass_proposal(
        self, proposal: gov.Proposal, proposer: Any, voters: Iterable[Any], queue: bool = True
    ) -> gov.Proposal:
        """`proposer` submits `proposal`, every one of `voters` votes For, and once voting has closed
        it is queued (unless `queue` is false); returns the bound proposal."""
        bound = gov.bind_unused(self.governor, proposal, proposer)
        self.propose(bound, proposer)
        proposal_id = bound.proposal_id(self.governor)
        gov.wait_for_voting_start(self.governor, proposal_id)
        for voter in voters:
            gov.vote(self.governor, proposal_id, gov.Support.FOR, voter)
        gov.wait_for_voting_end(self.governor, proposal_id)
        if queue:
            gov.queue(self.governor, bound, proposer)
        return bound

    def propose(self, proposal: gov.Proposal, proposer: Any) -> Any:
        """`proposer` submits `proposal` (bound) a second after the latest block: the Governor reads
        the proposer's vote at the second before, and anvil may mine a block in the same second as
        the previous one (say, the proposer's admission or the deployment)."""
        self.travel(1)
        return gov.propose(self.governor, proposal, proposer)

    def at(self, timestamp: int) -> None:
        """Mine the next transaction at `timestamp` exactly (later than the latest block)."""
        from ape import chain

        if timestamp <= self.now():
            raise GovernanceAttackError(f"the chain is already at {self.now()}, past {timestamp}")
        chain.pending_timestamp = timestamp

    def execute(self, proposal: gov.Proposal, sender: Any) -> Any:
        """Execute a queued proposal once its delay has passed (raises if it reverts)."""
        gov.wait_for_timelock(self.governor, proposal.proposal_id(self.governor))
        return gov.execute(self.governor, proposal, sender)

    def state(self, proposal: gov.Proposal) -> gov.ProposalState:
        """Where `proposal` (bound) stands."""
        return gov.state(self.governor, proposal.proposal_id(self.governor))

    def wait_for_timelock(self, proposal: gov.Proposal) -> None:
        """Until a queued proposal may execute."""
        gov.wait_for_timelock(self.governor, proposal.proposal_id(self.governor))

    # -- refused steps

    def attempt(self, blocked: list[Blocked], step: str, sender: Any, method: Any, *args: Any) -> bool:
        """The attacker (`sender`) tries `method(*args)`. If the contracts refuse it (a call in the
        latest block's state reverts with a custom error), record why in `blocked` and return False;
        otherwise send the transaction, so whatever it pays counts, and return True."""
        refusal = self.refusal(sender, method, *args)
        if refusal is not None:
            blocked.append(Blocked(step, *refusal))
            return False
        method(*args, sender=sender)
        return True

    def refusal(self, sender: Any, method: Any, *args: Any) -> tuple[str, dict[str, Any]] | None:
        """The custom error (name, inputs) `method(*args)` sent by `sender` reverts with now, or None."""
        return refusal(self.deployment, sender, method, *args)


def refusal(
    deployment: Deployment, sender: Any, method: Any, *args: Any
) -> tuple[str, dict[str, Any]] | None:
    """The custom error (name, inputs) `method(*args)` sent by `sender` reverts with now, or None.

    A raw `eth_call` at the latest block keeps the revert data (Ape's failed transactions trace
    every call, slowly); the error is decoded against every contract of `deployment`, since one
    raised by the pool reaches the Governor's caller through the timelock."""
    from ape import chain

    request = {
        "from": str(getattr(sender, "address", sender)),
        "to": str(method.contract.address),
        "data": method.encode_input(*args).to_0x_hex(),
    }
    response = chain.provider.web3.provider.make_request("eth_call", [request, "latest"])
    if "error" not in response:
        return None
    data = HexBytes(response["error"].get("data") or "0x")
    ecosystem = chain.provider.network.ecosystem
    for address in deployment.addresses().values():
        decoded = ecosystem.decode_custom_error(data, address)
        if decoded is not None and hasattr(decoded, "abi"):
            return decoded.abi.name, {name: _plain(value) for name, value in decoded.inputs.items()}
    raise GovernanceAttackError(f"a revert that is no custom error of the deployment: {response['error']}")


def acting(proposal: gov.Proposal) -> tuple[list[str], list[int], list[bytes], bytes]:
    """What `queue`, `execute` and `cancel` take for `proposal`."""
    return proposal.targets, proposal.values, proposal.calldatas, proposal.description_hash


def proposing(proposal: gov.Proposal) -> tuple[list[str], list[int], list[bytes], str]:
    """What `propose` takes for `proposal` (bound)."""
    return proposal.targets, proposal.values, proposal.calldatas, proposal.description


def _plain(value: Any) -> Any:
    """A decoded error input as tests write it: checksummed addresses, 0x-hex bytes, ints."""
    if hasattr(value, "address"):
        return str(value.address)
    if isinstance(value, str) and is_address(value):
        return to_checksum_address(value)
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, int):
        return int(value)
    return value


def state_bitmap(*states: gov.ProposalState) -> str:
    """OpenZeppelin's `expectedStates` of `GovernorUnexpectedProposalState`, as 0x-hex."""
    bits = 0
    for state in states:
        bits |= 1 << int(state)
    return "0x" + bits.to_bytes(32, "big").hex()


@contextmanager
def isolated() -> Iterator[None]:
    """Play inside a chain snapshot: the chain is as before afterwards."""
    from ape import chain

    snapshot = chain.snapshot()
    try:
        yield
    finally:
        chain.restore(snapshot)
