"""An independent Python record of governance on the CMIR contracts, for the stateful property
test (test_governance_invariants.py), and the raw JSON-RPC plumbing it drives anvil with.

The record (`GovernanceModel`) is written from the rules as issue 11 and the interfaces state
them, not from the contracts' code paths: who is a member and since when, when each member's
vote counts (probation), the invitations each member holds (one accrues per refill period after
probation, up to the cap; founders start full; a revoked invitation is given back), live
invitations per (invitee, sponsor), attesters and attestations, ESS projects with the history of
their payout wallets, the ESS bucket (through the pool model of redistribution_model.py),
proposals with every vote cast, their snapshot, deadline, ETA, expiry and fate, the guardian and
the governed settings. Each operation either returns the events it must emit (per contract, in
order) or raises `Revert` with the custom error it must revert with. The test compares both with
what the chain did, and checks the invariants against this record.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from eth_abi.abi import decode, encode
from eth_utils.crypto import keccak

from tests.contracts.raw_rpc import Rpc, signature_types, split_types
from tests.contracts.redistribution_model import PoolModel

ZERO = "0x0000000000000000000000000000000000000000"
ZERO32 = bytes(32)
# A transaction's gas limit (far above what any call here uses; fixed, never estimated).
TX_GAS = 5_000_000

# OpenZeppelin's IGovernor.ProposalState.
PENDING, ACTIVE, CANCELED, DEFEATED, SUCCEEDED, QUEUED, EXPIRED, EXECUTED = range(8)
STATE_NAMES = ("Pending", "Active", "Canceled", "Defeated", "Succeeded", "Queued", "Expired", "Executed")
AGAINST, FOR, ABSTAIN = 0, 1, 2
KIND_ESS = 2
# TimelockController.OperationState.Ready, as a state bitmap.
TIMELOCK_READY = (1 << 2).to_bytes(32, "big")
EXECUTOR_ROLE = keccak(text="EXECUTOR_ROLE")
CANCELLER_ROLE = keccak(text="CANCELLER_ROLE")
# CmirGovernor's bounds.
MAX_VOTING_DELAY = 30 * 86_400
MIN_VOTING_PERIOD, MAX_VOTING_PERIOD = 60, 90 * 86_400
MIN_APPROVAL_GRACE, MAX_APPROVAL_GRACE = 3_600, 365 * 86_400


@cache
def _operation_id(
    governor: str, encoded: tuple[tuple[str, ...], tuple[int, ...], tuple[bytes, ...]], description: str
) -> bytes:
    targets, values, datas = encoded
    salt = ((int(governor, 16) << 96) ^ int.from_bytes(keccak(text=description), "big")).to_bytes(32, "big")
    return keccak(
        encode(
            ["address[]", "uint256[]", "bytes[]", "bytes32", "bytes32"],
            [targets, values, datas, ZERO32, salt],
        )
    )


def bitmap(*states: int) -> bytes:
    """OpenZeppelin's proposal state bitmap, as the bytes32 of GovernorUnexpectedProposalState."""
    value = 0
    for proposal_state in states:
        value |= 1 << proposal_state
    return value.to_bytes(32, "big")


# Governor._cancel accepts every state but Canceled, Expired and Executed.
CANCELLABLE = bitmap(PENDING, ACTIVE, DEFEATED, SUCCEEDED, QUEUED)


# ---------------------------------------------------------------------- JSON-RPC and ABI


def calldata(signature: str, *args: Any) -> bytes:
    """ABI-encoded call of `signature` with `args` (cached when the arguments are hashable:
    views are read after every step)."""
    try:
        return _cached_calldata(signature, args)
    except TypeError:  # a list argument
        selector, types = signature_types(signature)
        return selector + encode(list(types), list(args))


@cache
def _cached_calldata(signature: str, args: tuple[Any, ...]) -> bytes:
    selector, types = signature_types(signature)
    return selector + encode(list(types), list(args))


@cache
def _static_words(kind: str) -> tuple[str, ...]:
    """The one-word types a static type (or static tuple of them) is encoded as."""
    if kind.startswith("("):
        return tuple(word for inner in split_types(kind[1:-1]) for word in _static_words(inner))
    assert kind == "address" or kind == "bool" or kind.startswith(("uint", "bytes")), kind
    return (kind,)


def decode_static(types: Sequence[str], raw: str) -> Any:
    """Decode 0x-hex return data of static types (uintN, address, bool, bytesN, and tuples of
    them): one word each, much faster than eth_abi for the hundreds of views read per step.
    One type gives its value; several, a tuple; a tuple type, a tuple."""
    values: list[Any] = []
    offset = 2
    for kind in types:
        words: list[Any] = []
        for word_type in _static_words(kind):
            word = raw[offset : offset + 64]
            offset += 64
            if word_type == "address":
                words.append("0x" + word[24:])
            elif word_type == "bool":
                words.append(int(word, 16) != 0)
            elif word_type.startswith("bytes"):
                words.append(bytes.fromhex(word))
            else:
                words.append(int(word, 16))
        values.append(tuple(words) if kind.startswith("(") else words[0])
    assert offset == len(raw), f"unexpected return data {raw} for {types}"
    return values[0] if len(values) == 1 else tuple(values)


def normal(value: Any) -> Any:
    """Decoded values made comparable: addresses in lower case, sequences as tuples."""
    if isinstance(value, list | tuple):
        return tuple(normal(v) for v in value)
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return value.lower()
    return value


class Abi:
    """The custom errors and events of the deployed contracts."""

    def __init__(self, contracts: dict[str, tuple[str, Any]]) -> None:
        """`contracts`: label -> (address, Ape contract type)."""
        self.labels = {address.lower(): label for label, (address, _) in contracts.items()}
        self._errors: dict[str, str] = {}
        self._error_names: dict[bytes, str] = {}
        self._events: dict[tuple[str, str], tuple[str, list[str], list[bool]]] = {}
        for address, contract_type in contracts.values():
            for entry in contract_type.abi:
                if entry.type == "error":
                    signature = entry.selector
                    self._errors[entry.name] = signature
                    self._error_names[keccak(text=signature)[:4]] = signature
                elif entry.type == "event":
                    signature = entry.selector
                    _, types = signature_types(signature)
                    indexed = [bool(item.indexed) for item in entry.inputs]
                    topic = "0x" + keccak(text=signature).hex()
                    self._events[(address.lower(), topic)] = (entry.name, list(types), indexed)

    def error(self, name: str, *args: Any) -> bytes:
        """The revert data of custom error `name(args)`."""
        return calldata(self._errors[name], *args)

    def describe(self, data: bytes) -> str:
        """Readable revert data."""
        signature = self._error_names.get(data[:4])
        if signature is None:
            return "0x" + data.hex()
        _, types = signature_types(signature)
        args = decode(list(types), data[4:])
        return f"{signature.split('(')[0]}{normal(args)}"

    def decode_logs(self, logs: Iterable[dict[str, Any]]) -> dict[str, list[tuple[Any, ...]]]:
        """A receipt's logs by contract label, each event as (name, argument, ...)."""
        emitted: dict[str, list[tuple[Any, ...]]] = {}
        for entry in logs:
            address = entry["address"].lower()
            label = self.labels.get(address, address)
            name, types, indexed = self._events[(address, entry["topics"][0])]
            data = iter(
                decode(
                    [t for t, i in zip(types, indexed, strict=True) if not i],
                    bytes.fromhex(entry["data"][2:]),
                )
            )
            topics = iter(entry["topics"][1:])
            values: list[Any] = []
            for kind, is_indexed in zip(types, indexed, strict=True):
                values.append(
                    normal(decode([kind], bytes.fromhex(next(topics)[2:]))[0] if is_indexed else next(data))
                )
            emitted.setdefault(label, []).append((name, *values))
        return emitted


@dataclass
class Outcome:
    """A mined transaction: its block's timestamp, its events by contract, or its revert data."""

    timestamp: int
    events: dict[str, list[tuple[Any, ...]]]
    revert: bytes | None


class Node:
    """Transactions from unlocked or impersonated accounts, mined one per block, one second apart."""

    def __init__(self, rpc: Rpc, abi: Abi) -> None:
        self.rpc = rpc
        self.abi = abi

    def transact(self, sender: str, to: str, data: bytes) -> Outcome:
        """Send and mine a transaction. A reverting one is really mined (status 0); its revert
        data comes from the trace of that very transaction, at its own block's time."""
        tx = {"from": sender, "to": to, "data": "0x" + data.hex(), "gas": hex(TX_GAS)}
        tx_hash = self.rpc.request("eth_sendTransaction", [tx])
        receipt = self._receipt(tx_hash)
        block = self.rpc.request("eth_getBlockByNumber", [receipt["blockNumber"], False])
        timestamp = int(block["timestamp"], 16)
        if receipt["status"] == "0x1":
            return Outcome(timestamp, self.abi.decode_logs(receipt["logs"]), None)
        trace = self.rpc.request("debug_traceTransaction", [tx_hash, {"tracer": "callTracer"}])
        output = trace.get("output") or "0x"
        return Outcome(timestamp, {}, bytes.fromhex(output[2:]))

    def _receipt(self, tx_hash: str) -> dict[str, Any]:
        deadline = time.monotonic() + 60
        while True:
            receipt: dict[str, Any] | None = self.rpc.request("eth_getTransactionReceipt", [tx_hash])
            if receipt is not None:
                return receipt
            assert time.monotonic() < deadline, f"transaction {tx_hash} was never mined"
            time.sleep(0.001)

    def latest(self) -> int:
        """The latest block's timestamp."""
        return int(self.rpc.request("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)

    def mine_at(self, timestamp: int) -> None:
        """Mine an empty block at `timestamp` (the next transaction comes one second later)."""
        self.rpc.request("evm_setNextBlockTimestamp", [timestamp])
        self.rpc.request("evm_mine", [])


# ---------------------------------------------------------------------- the record


class Revert(Exception):  # noqa: N818 (what the chain does, not an error of the test)
    """The call must revert with custom error `name(args)`."""

    def __init__(self, name: str, *args: Any) -> None:
        super().__init__(name)
        self.name = name
        self.args_ = args


Events = dict[str, list[tuple[Any, ...]]]


@dataclass
class MemberRecord:
    """A member as the test made it join."""

    sponsor: str
    kind: int
    joined_at: int
    votes_from: int
    founder: bool
    by_governance: bool
    sent: int = 0
    excluded_at: int = 0
    # Unused invitations held and when the next one accrues (None: at the cap).
    credits: int = 0
    next_credit_at: int | None = None

    def active_at(self, timepoint: int) -> bool:
        """Counted among the members at `timepoint` (the quorum's base: probation included)."""
        return self.joined_at <= timepoint and (self.excluded_at == 0 or timepoint < self.excluded_at)

    def votes_at(self, timepoint: int) -> int:
        """1 if its vote counts at `timepoint`: probation over and not excluded yet."""
        counts = self.votes_from <= timepoint and (self.excluded_at == 0 or timepoint < self.excluded_at)
        return 1 if counts else 0


@dataclass
class ProjectRecord:
    """An ESS project and the history of its payout wallet."""

    owner: str
    active: bool
    wallet: str
    version: int
    # (from when, wallet, version), in order.
    history: list[tuple[int, str, int]] = field(default_factory=list)

    def wallet_at(self, timepoint: int) -> tuple[str, int] | None:
        """The wallet and version on record at `timepoint` (None before registration)."""
        found = None
        for since, wallet, version in self.history:
            if since <= timepoint:
                found = (wallet, version)
        return found


@dataclass(frozen=True)
class Action:
    """One call a proposal makes through the timelock."""

    target: str  # a contract label
    signature: str
    args: tuple[Any, ...]


@dataclass
class ProposalRecord:
    """A proposal as submitted, and everything that happened to it."""

    proposal_id: int
    proposer: str
    kind: str
    actions: tuple[Action, ...]
    description: str
    created: int
    snapshot: int
    deadline: int
    votes: dict[str, tuple[int, int]] = field(default_factory=dict)  # voter -> (support, weight)
    eta: int = 0
    executed_at: int = 0
    canceled_at: int = 0
    canceled_by_guardian: bool = False
    failed_executions: int = 0

    def tally(self) -> tuple[int, int, int]:
        """(against, for, abstain), as proposalVotes gives them."""
        totals = [0, 0, 0]
        for support, weight in self.votes.values():
            totals[support] += weight
        return totals[0], totals[1], totals[2]


@dataclass
class GovernanceModel:
    """What the chain must hold and do, from the test's own record of what happened."""

    addresses: dict[str, str]  # contract label -> lower-case address
    probation: int
    refill_period: int
    invitation_cap: int
    invitation_ttl: int
    timelock_delay: int
    voting_delay: int
    voting_period: int
    quorum_percent: int
    quorum_floor: int
    pool: PoolModel
    guardian: str
    grace_history: list[tuple[int, int]]
    members: dict[str, MemberRecord] = field(default_factory=dict)
    invitations: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)  # -> (kind, expiresAt)
    invitation_pairs: set[tuple[str, str]] = field(default_factory=set)
    attesters: dict[str, bool] = field(default_factory=dict)
    attestations: dict[str, str] = field(default_factory=dict)
    projects: list[ProjectRecord] = field(default_factory=list)
    proposals: dict[int, ProposalRecord] = field(default_factory=dict)
    token_balances: dict[str, int] = field(default_factory=dict)
    guardian_history: list[tuple[int, str]] = field(default_factory=list)
    # What left the ESS bucket: (project id, wallet, amount).
    fundings: list[tuple[int, str, int]] = field(default_factory=list)

    # -------------------------------------------------------------- helpers

    def address(self, label: str) -> str:
        return self.addresses[label]

    @property
    def timelock(self) -> str:
        return self.addresses["timelock"]

    def is_active(self, account: str) -> bool:
        member = self.members.get(account)
        return member is not None and member.excluded_at == 0

    def active_members(self) -> list[str]:
        return [a for a, m in self.members.items() if m.excluded_at == 0]

    def weight_at(self, account: str, timepoint: int) -> int:
        """The account's vote at `timepoint` (getPastVotes)."""
        member = self.members.get(account)
        return member.votes_at(timepoint) if member is not None else 0

    def members_at(self, timepoint: int) -> int:
        """Members counted at `timepoint` (getPastTotalSupply)."""
        return sum(1 for m in self.members.values() if m.active_at(timepoint))

    def quorum_at(self, timepoint: int) -> int:
        """The larger of the fraction of members and the floor (at most every member)."""
        members = self.members_at(timepoint)
        return max(members * self.quorum_percent // 100, min(self.quorum_floor, members))

    def grace_at(self, timepoint: int) -> int:
        """The approval grace period in force at `timepoint` (its checkpoint)."""
        found = self.grace_history[0][1]
        for since, grace in self.grace_history:
            if since <= timepoint:
                found = grace
        return found

    def add_balance(self, account: str, amount: int) -> None:
        self.token_balances[account] = self.token_balances.get(account, 0) + amount

    # -------------------------------------------------------------- invitations

    def _accrue(self, member: MemberRecord, now: int) -> None:
        """One invitation per refill period after probation (or since the last spend at the cap)."""
        while member.next_credit_at is not None and now >= member.next_credit_at:
            member.credits += 1
            if member.credits >= self.invitation_cap:
                member.credits, member.next_credit_at = self.invitation_cap, None
            else:
                member.next_credit_at += self.refill_period

    def invitations_available(self, account: str, now: int) -> tuple[int, int]:
        """(available, when the next accrues: 0 at the cap), as invitationsAvailable gives them."""
        if not self.is_active(account):
            return 0, 0
        member = self.members[account]
        self._accrue(member, now)
        return member.credits, member.next_credit_at or 0

    # -------------------------------------------------------------- membership

    def _join(self, account: str, kind: int, sponsor: str, now: int, by_governance: bool) -> Events:
        if account in self.members:
            raise Revert("MembershipAlreadyMember", account)
        votes_from = now + self.probation
        self.members[account] = MemberRecord(
            sponsor=sponsor,
            kind=kind,
            joined_at=now,
            votes_from=votes_from,
            founder=False,
            by_governance=by_governance,
            credits=0,
            next_credit_at=votes_from + self.refill_period,
        )
        self.pool.add_member(account, None if sponsor == ZERO else sponsor)
        token_id = int(account, 16)
        return {
            "membership": [
                ("MemberJoined", account, sponsor, kind, now, 0, by_governance, votes_from),
                ("Transfer", ZERO, account, token_id),
                ("Locked", token_id),
            ]
        }

    def add_founder(self, account: str, kind: int, joined_at: int) -> None:
        self.members[account] = MemberRecord(
            sponsor=ZERO,
            kind=kind,
            joined_at=joined_at,
            votes_from=joined_at,
            founder=True,
            by_governance=False,
            credits=self.invitation_cap,
            next_credit_at=None,
        )
        self.pool.add_member(account, None)

    def invite(self, sender: str, invitee: str, kind: int, now: int) -> Events:
        member = self.members.get(sender)
        if member is None or member.excluded_at:
            raise Revert("MembershipNotActiveMember", sender)
        if now < member.votes_from:
            raise Revert("MembershipInProbation", sender, member.votes_from)
        if invitee in self.members:
            raise Revert("MembershipAlreadyMember", invitee)
        live = self.invitations.get((invitee, sender))
        if live is not None and live[1] > now:
            raise Revert("MembershipAlreadyInvited", invitee, sender)
        available, next_at = self.invitations_available(sender, now)
        if available == 0:
            raise Revert("MembershipNoInvitationLeft", sender, next_at)
        if member.credits == self.invitation_cap:
            member.next_credit_at = now + self.refill_period
        member.credits -= 1
        member.sent = min(member.sent + 1, 2**16 - 1)
        expires_at = now + self.invitation_ttl
        self.invitations[(invitee, sender)] = (kind, expires_at)
        self.invitation_pairs.add((invitee, sender))
        return {"membership": [("MemberInvited", sender, invitee, kind, expires_at)]}

    def revoke(self, sender: str, invitee: str, sponsor: str, now: int) -> Events:
        if (invitee, sponsor) not in self.invitations:
            raise Revert("MembershipNoInvitation", invitee, sponsor)
        if sender not in (sponsor, self.timelock):
            raise Revert("MembershipNotInvitationSponsor", sender, sponsor)
        del self.invitations[(invitee, sponsor)]
        member = self.members[sponsor]
        self._accrue(member, now)
        if member.credits < self.invitation_cap:
            member.credits += 1
            if member.credits == self.invitation_cap:
                member.next_credit_at = None
        member.sent = max(member.sent - 1, 0)
        return {"membership": [("InvitationRevoked", sponsor, invitee, sender)]}

    def live_attestation(self, account: str) -> str | None:
        """The attester whose attestation of `account` counts now (it still is one)."""
        attester = self.attestations.get(account)
        return attester if attester is not None and self.attesters.get(attester, False) else None

    def accept(self, invitee: str, sponsor: str, kind: int, now: int) -> Events:
        invitation = self.invitations.get((invitee, sponsor))
        if invitation is None:
            raise Revert("MembershipNoInvitation", invitee, sponsor)
        invited_kind, expires_at = invitation
        if invited_kind != kind:
            raise Revert("MembershipInvitationKindMismatch", invitee, sponsor, invited_kind, kind)
        if now >= expires_at:
            raise Revert("MembershipInvitationExpired", invitee, sponsor, expires_at)
        if not self.is_active(sponsor):
            raise Revert("MembershipSponsorNotActive", sponsor)
        if kind == KIND_ESS and self.live_attestation(invitee) is None:
            raise Revert("MembershipEssStructureNotAttested", invitee)
        if invitee in self.members:
            raise Revert("MembershipAlreadyMember", invitee)
        del self.invitations[(invitee, sponsor)]
        return self._join(invitee, kind, sponsor, now, by_governance=False)

    def attest(self, sender: str, account: str) -> Events:
        if not self.attesters.get(sender, False):
            raise Revert("MembershipNotAttester", sender)
        if account in self.members:
            raise Revert("MembershipAlreadyMember", account)
        self.attestations[account] = sender
        return {"membership": [("EssStructureAttested", account, sender)]}

    def set_attester(self, sender: str, attester: str, allowed: bool) -> Events:
        if sender != self.timelock:
            raise Revert("MembershipNotGovernance", sender)
        self.attesters[attester] = allowed
        return {"membership": [("AttesterChanged", attester, allowed)]}

    def admit(self, sender: str, account: str, kind: int, sponsor: str, now: int) -> Events:
        if sender != self.timelock:
            raise Revert("MembershipNotGovernance", sender)
        if sponsor != ZERO and not self.is_active(sponsor):
            raise Revert("MembershipSponsorNotActive", sponsor)
        return self._join(account, kind, sponsor, now, by_governance=True)

    def exclude(self, sender: str, account: str, reason: str, now: int) -> Events:
        if sender != self.timelock:
            raise Revert("MembershipNotGovernance", sender)
        if not self.is_active(account):
            raise Revert("MembershipNotActiveMember", account)
        member = self.members[account]
        member.excluded_at = now
        events: list[tuple[Any, ...]] = [("MemberExcluded", account, now, reason)]
        if member.votes_from <= now:
            events.append(("DelegateVotesChanged", account, 1, 0))
        events.append(("Transfer", account, ZERO, int(account, 16)))
        matured, pending, accrued = self.pool.exclude(account, now)
        frozen = ("MemberRewardsFrozen", account, matured, pending, accrued, self.pool.reward_per_point)
        return {"membership": events, "pool": [frozen]}

    # -------------------------------------------------------------- ESS projects

    def is_ess_member(self, account: str) -> bool:
        return self.is_active(account) and self.members[account].kind == KIND_ESS

    def register(self, sender: str, wallet: str, uri: str, digest: bytes, now: int) -> Events:
        by_governance = sender == self.timelock
        if not by_governance and not self.is_ess_member(sender):
            raise Revert("EssProjectRegistryNotEssMember", sender)
        self.projects.append(ProjectRecord(sender, by_governance, wallet, 1, [(now, wallet, 1)]))
        project_id = len(self.projects)
        events: list[tuple[Any, ...]] = [("EssProjectRegistered", project_id, sender, wallet, uri, digest)]
        if by_governance:
            events.append(("EssProjectStatusChanged", project_id, True))
        return {"registry": events}

    def project(self, project_id: int) -> ProjectRecord:
        if not 1 <= project_id <= len(self.projects):
            raise Revert("EssProjectRegistryUnknownProject", project_id)
        return self.projects[project_id - 1]

    def update_project(
        self, sender: str, project_id: int, wallet: str, uri: str, digest: bytes, now: int
    ) -> Events:
        project = self.project(project_id)
        if project.owner != sender:
            raise Revert("EssProjectRegistryNotOwner", project_id, sender)
        if sender != self.timelock and not self.is_ess_member(sender):
            raise Revert("EssProjectRegistryNotEssMember", sender)
        events: list[tuple[Any, ...]] = []
        if wallet != project.wallet:
            project.version += 1
            project.wallet = wallet
            project.history.append((now, wallet, project.version))
            if project.active:
                project.active = False
                events.append(("EssProjectStatusChanged", project_id, False))
        events.append(("EssProjectUpdated", project_id, wallet, uri, digest, project.version))
        return {"registry": events}

    def activate(self, sender: str, project_id: int, version: int) -> Events:
        if sender != self.timelock:
            raise Revert("EssProjectRegistryNotGovernance", sender)
        project = self.project(project_id)
        if project.version != version:
            raise Revert("EssProjectRegistryWalletChanged", project_id, version, project.version)
        if project.active:
            raise Revert("EssProjectRegistryStatusUnchanged", project_id, True)
        project.active = True
        return {"registry": [("EssProjectStatusChanged", project_id, True)]}

    def deactivate(self, sender: str, project_id: int) -> Events:
        if sender != self.timelock:
            raise Revert("EssProjectRegistryNotGovernance", sender)
        project = self.project(project_id)
        if not project.active:
            raise Revert("EssProjectRegistryStatusUnchanged", project_id, False)
        project.active = False
        return {"registry": [("EssProjectStatusChanged", project_id, False)]}

    # -------------------------------------------------------------- the pool

    def fund(self, sender: str, project_id: int, wallet: str, version: int, amount: int) -> Events:
        if sender != self.timelock:
            raise Revert("RedistributionNotGovernance", sender)
        if amount == 0:
            raise Revert("RedistributionZeroAmount")
        if not 1 <= project_id <= len(self.projects):
            raise Revert("RedistributionUnknownProject", project_id)
        project = self.projects[project_id - 1]
        if project.wallet != wallet or project.version != version:
            raise Revert("RedistributionPayoutMismatch", project_id, wallet, version)
        if not project.active:
            raise Revert("RedistributionProjectInactive", project_id)
        available = self.pool.ess_available
        if amount > available:
            raise Revert("RedistributionInsufficientFunds", amount, available)
        self.pool.fund_ess(amount)
        self.fundings.append((project_id, project.wallet, amount))
        self.add_balance(self.address("pool"), -amount)
        self.add_balance(project.wallet, amount)
        return {
            "pool": [("EssProjectFunded", project_id, project.wallet, amount)],
            "token": [("Transfer", self.address("pool"), project.wallet, amount)],
        }

    # -------------------------------------------------------------- proposals

    def state(self, proposal: ProposalRecord, now: int) -> int:
        """The proposal's state at `now`, from the record (CmirGovernor.state)."""
        if proposal.executed_at:
            return EXECUTED
        if proposal.canceled_at:
            return CANCELED
        if proposal.snapshot >= now:
            return PENDING
        if proposal.deadline >= now:
            return ACTIVE
        _, for_votes, _ = proposal.tally()
        if not self.approved(proposal):
            return DEFEATED
        current = QUEUED if proposal.eta else SUCCEEDED
        assert for_votes > 0
        if now > self.expires_at(proposal):
            return EXPIRED
        return current

    def approved(self, proposal: ProposalRecord) -> bool:
        """The vote passed: quorum (For + Abstain) reached and more For than Against."""
        against, for_votes, abstain = proposal.tally()
        return self.quorum_at(proposal.snapshot) <= for_votes + abstain and for_votes > against

    def expires_at(self, proposal: ProposalRecord) -> int:
        """Its ETA once queued, else its deadline, plus the grace period at its snapshot."""
        return (proposal.eta or proposal.deadline) + self.grace_at(proposal.snapshot)

    def proposal_id(self, actions: Sequence[Action], description: str) -> int:
        targets, values, datas = self.encoded(actions)
        digest = keccak(text=description)
        encoded = encode(["address[]", "uint256[]", "bytes[]", "bytes32"], [targets, values, datas, digest])
        return int.from_bytes(keccak(encoded), "big")

    def encoded(
        self, actions: Sequence[Action]
    ) -> tuple[tuple[str, ...], tuple[int, ...], tuple[bytes, ...]]:
        """(targets, values, calldatas) of `actions`."""
        return (
            tuple(self.address(a.target) for a in actions),
            (0,) * len(actions),
            tuple(calldata(a.signature, *a.args) for a in actions),
        )

    def salt(self, description: str) -> bytes:
        """The timelock salt of a proposal: the Governor's address xor its description hash."""
        governor = int(self.address("governor"), 16) << 96
        return (governor ^ int.from_bytes(keccak(text=description), "big")).to_bytes(32, "big")

    def operation_id(self, proposal: ProposalRecord) -> bytes:
        """The timelock operation of the proposal (hashOperationBatch)."""
        return _operation_id(self.address("governor"), self.encoded(proposal.actions), proposal.description)

    def replaces_guardian(self, actions: Sequence[Action]) -> bool:
        return any(a.target == "governor" and a.signature == "setGuardian(address)" for a in actions)

    def propose(
        self, sender: str, actions: tuple[Action, ...], description: str, kind: str, now: int
    ) -> Events:
        if len(actions) > 1 and self.replaces_guardian(actions):
            raise Revert("CmirGovernorGuardianChangeNotAlone", len(actions))
        if not description.endswith(f"#proposer={sender}"):
            raise Revert("GovernorRestrictedProposer", sender)
        votes = self.weight_at(sender, now - 1)
        if votes < 1:
            raise Revert("GovernorInsufficientProposerVotes", sender, votes, 1)
        proposal_id = self.proposal_id(actions, description)
        if proposal_id in self.proposals:
            raise Revert(
                "GovernorUnexpectedProposalState",
                proposal_id,
                self.state(self.proposals[proposal_id], now),
                ZERO32,
            )
        snapshot = now + self.voting_delay
        deadline = snapshot + self.voting_period
        self.proposals[proposal_id] = ProposalRecord(
            proposal_id, sender, kind, actions, description, now, snapshot, deadline
        )
        targets, values, datas = self.encoded(actions)
        created = (
            "ProposalCreated",
            proposal_id,
            sender,
            tuple(targets),
            tuple(values),
            ("",) * len(actions),
            tuple(datas),
            snapshot,
            deadline,
            description,
        )
        return {"governor": [created]}

    def existing(self, proposal_id: int) -> ProposalRecord:
        proposal = self.proposals.get(proposal_id)
        if proposal is None:
            raise Revert("GovernorNonexistentProposal", proposal_id)
        return proposal

    def vote(self, sender: str, proposal_id: int, support: int, reason: str, now: int) -> Events:
        proposal = self.existing(proposal_id)
        current = self.state(proposal, now)
        if current != ACTIVE:
            raise Revert("GovernorUnexpectedProposalState", proposal_id, current, bitmap(ACTIVE))
        weight = self.weight_at(sender, proposal.snapshot)
        if sender in proposal.votes:
            raise Revert("GovernorAlreadyCastVote", sender)
        if support > ABSTAIN:
            raise Revert("GovernorInvalidVoteType")
        proposal.votes[sender] = (support, weight)
        return {"governor": [("VoteCast", sender, proposal_id, support, weight, reason)]}

    def queue(self, proposal_id: int, now: int) -> Events:
        proposal = self.existing(proposal_id)
        current = self.state(proposal, now)
        if current != SUCCEEDED:
            raise Revert("GovernorUnexpectedProposalState", proposal_id, current, bitmap(SUCCEEDED))
        proposal.eta = now + self.timelock_delay
        operation = self.operation_id(proposal)
        targets, _, datas = self.encoded(proposal.actions)
        scheduled: list[tuple[Any, ...]] = [
            ("CallScheduled", operation, i, targets[i], 0, datas[i], ZERO32, self.timelock_delay)
            for i in range(len(targets))
        ]
        scheduled.append(("CallSalt", operation, self.salt(proposal.description)))
        return {"timelock": scheduled, "governor": [("ProposalQueued", proposal_id, proposal.eta)]}

    def cancel(self, sender: str, proposal_id: int, now: int) -> Events:
        proposal = self.existing(proposal_id)
        if self.state(proposal, now) != PENDING or sender != proposal.proposer:
            raise Revert("GovernorUnableToCancel", proposal_id, sender)
        proposal.canceled_at = now
        return {"governor": [("ProposalCanceled", proposal_id)]}

    def guardian_cancel(
        self, sender: str, actions: tuple[Action, ...], description: str, reason: str, now: int
    ) -> Events:
        if sender != self.guardian:
            raise Revert("CmirGovernorNotGuardian", sender)
        proposal_id = self.proposal_id(actions, description)
        if self.replaces_guardian(actions):
            raise Revert("CmirGovernorGuardianCannotCancelReplacement", proposal_id)
        proposal = self.existing(proposal_id)
        current = self.state(proposal, now)
        if current in (CANCELED, EXPIRED, EXECUTED):
            raise Revert("GovernorUnexpectedProposalState", proposal_id, current, CANCELLABLE)
        proposal.canceled_at = now
        proposal.canceled_by_guardian = True
        events: Events = {
            "governor": [
                ("ProposalCanceledByGuardian", proposal_id, sender, reason),
                ("ProposalCanceled", proposal_id),
            ]
        }
        if current == QUEUED:
            events["timelock"] = [("Cancelled", self.operation_id(proposal))]
        return events

    def execute(self, proposal_id: int, now: int) -> tuple[GovernanceModel, Events]:
        """The record after executing the proposal at `now` (a new one: the calls either all
        happen or none), and the events; raises Revert like the Governor."""
        proposal = self.existing(proposal_id)
        current = self.state(proposal, now)
        if current not in (SUCCEEDED, QUEUED):
            raise Revert("GovernorUnexpectedProposalState", proposal_id, current, bitmap(SUCCEEDED, QUEUED))
        operation = self.operation_id(proposal)
        if current == SUCCEEDED or now < proposal.eta:
            raise Revert("TimelockUnexpectedOperationState", operation, TIMELOCK_READY)
        after = copy.deepcopy(self)
        events: Events = {}
        targets, _, datas = after.encoded(proposal.actions)
        for index, action in enumerate(proposal.actions):
            for label, emitted in after.apply(action, now).items():
                events.setdefault(label, []).extend(emitted)
            events.setdefault("timelock", []).append(
                ("CallExecuted", operation, index, targets[index], 0, datas[index])
            )
        after.proposals[proposal_id].executed_at = now
        events.setdefault("governor", []).append(("ProposalExecuted", proposal_id))
        return after, events

    def apply(self, action: Action, now: int) -> Events:
        """One of a proposal's calls, made by the timelock at `now`."""
        sender, args = self.timelock, action.args
        match action.signature:
            case "fundEssProject(uint256,address,uint64,uint256)":
                return self.fund(sender, args[0], args[1], args[2], args[3])
            case "activateProject(uint256,uint64)":
                return self.activate(sender, args[0], args[1])
            case "deactivateProject(uint256)":
                return self.deactivate(sender, args[0])
            case "exclude(address,string)":
                return self.exclude(sender, args[0], args[1], now)
            case "admit(address,uint8,address)":
                return self.admit(sender, args[0], args[1], args[2], now)
            case "setGuardian(address)":
                previous_guardian, self.guardian = self.guardian, args[0]
                self.guardian_history.append((now, args[0]))
                return {"governor": [("GuardianChanged", previous_guardian, args[0])]}
            case "setApprovalGracePeriod(uint256)":
                grace = args[0]
                if not MIN_APPROVAL_GRACE <= grace <= MAX_APPROVAL_GRACE:
                    raise Revert(
                        "CmirGovernorSettingOutOfRange", grace, MIN_APPROVAL_GRACE, MAX_APPROVAL_GRACE
                    )
                previous_grace = self.grace_history[-1][1]
                self.grace_history.append((now, grace))
                return {"governor": [("ApprovalGracePeriodChanged", previous_grace, grace)]}
            case "setVotingDelay(uint48)":
                delay = args[0]
                if delay > MAX_VOTING_DELAY:
                    raise Revert("CmirGovernorSettingOutOfRange", delay, 0, MAX_VOTING_DELAY)
                previous_delay, self.voting_delay = self.voting_delay, delay
                return {"governor": [("VotingDelaySet", previous_delay, delay)]}
            case "setVotingPeriod(uint32)":
                period = args[0]
                if not MIN_VOTING_PERIOD <= period <= MAX_VOTING_PERIOD:
                    raise Revert(
                        "CmirGovernorSettingOutOfRange", period, MIN_VOTING_PERIOD, MAX_VOTING_PERIOD
                    )
                previous_period, self.voting_period = self.voting_period, period
                return {"governor": [("VotingPeriodSet", previous_period, period)]}
        raise AssertionError(f"model: unknown action {action.signature}")
