"""Governance through the DAO's Governor and timelock, as a member does it.

A proposal is a list of calls the timelock will make (targets, values, calldatas) and a
description; `fund_ess_project`, `set_shares` and `exclude_member` build the usual ones, `call`
and `make_proposal` any other. `propose`, `vote`, `queue` and `execute` send the Governor's
transactions (`signed_ballot` and `vote_by_signature`: a vote signed by the member, sent by a
relayer); `wait_for_voting_start`, `wait_for_voting_end` and `wait_for_timelock` move a
development chain's clock (or, on a live network, wait for it) to the next step; `enact` runs a
proposal through every step.

Every proposal names its proposer: the Governor accepts only descriptions ending with
`#proposer=0x…` (the proposer's address), so no member can send a copy of another's proposal
first, or cancel it. `Proposal.by(member)` binds a proposal to the member who will submit it, and
`bind_unused` also words it so that it was never proposed before (a cancelled proposal can be
proposed again); `propose` binds an unbound proposal itself.

The Governor counts time in seconds (the membership's ERC-6372 clock is the block timestamp):
voting opens once a block is later than the proposal's snapshot, closes after its deadline, and a
queued proposal executes once the timelock's delay has passed.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils.crypto import keccak

from cmir.chain.ballots import Ballot
from cmir.chain.eip712 import Domain

# the vocabulary's words, re-exported: a proposal's state and a vote's support come with these helpers
from cmir.chain.vocabulary import ProposalState as ProposalState
from cmir.chain.vocabulary import Support as Support


@dataclass(frozen=True)
class Call:
    """One call the timelock makes when a proposal executes."""

    target: str
    calldata: bytes
    value: int = 0


@dataclass(frozen=True)
class Proposal:
    """What the Governor is asked to do: calls made by the timelock, and a description.

    The description is part of the proposal's identity: the same calls with the same description
    make the same proposal id, so a repeated proposal needs a new description.
    """

    calls: tuple[Call, ...]
    description: str

    @property
    def targets(self) -> list[str]:
        """Addresses called, in order."""
        return [call.target for call in self.calls]

    @property
    def values(self) -> list[int]:
        """Wei sent with each call."""
        return [call.value for call in self.calls]

    @property
    def calldatas(self) -> list[bytes]:
        """ABI-encoded calls (selector included)."""
        return [call.calldata for call in self.calls]

    @property
    def description_hash(self) -> bytes:
        """keccak-256 of the description, as `queue` and `execute` take it."""
        return keccak(text=self.description)

    def proposal_id(self, governor: Any) -> int:
        """The id the Governor gives this proposal (bind it first: `by`)."""
        if self.proposer is None:
            raise ValueError("the proposal names no proposer yet: bind it with `proposal.by(member)`")
        return int(governor.hashProposal(self.targets, self.values, self.calldatas, self.description_hash))

    @property
    def proposer(self) -> str | None:
        """The member this proposal is bound to, from its description's suffix (None if unbound)."""
        head, marker, tail = self.description.rpartition(PROPOSER_SUFFIX)
        if not marker or len(tail) != 42 or not head:
            return None
        return tail

    @property
    def text(self) -> str:
        """The description without the proposer suffix."""
        if self.proposer is None:
            return self.description
        return self.description.rpartition(PROPOSER_SUFFIX)[0].rstrip("\n")

    def by(self, proposer: Any, revision: int = 0) -> Proposal:
        """This proposal bound to `proposer` (an account or address), as the Governor requires;
        `revision` > 0 words it anew ("révision N") so that it differs from earlier copies."""
        address = str(getattr(proposer, "address", proposer)).lower()
        text = self.text
        if revision:
            text = f"{text}\n\n(révision {revision})"
        return Proposal(self.calls, f"{text}\n\n{PROPOSER_SUFFIX}{address}")


PROPOSER_SUFFIX = "#proposer="
"""What a description ends with, before the proposer's address (OpenZeppelin's convention)."""


def bind_unused(governor: Any, proposal: Proposal, proposer: Any) -> Proposal:
    """`proposal` bound to `proposer`, worded so that its id was never used: a proposal cancelled
    (by its proposer or the guardian) can be proposed again without the member rewording it."""
    for revision in range(0, 1000):
        bound = proposal.by(proposer, revision)
        if int(governor.proposalSnapshot(bound.proposal_id(governor))) == 0:
            return bound
    raise ValueError("no unused wording found for this proposal")


def call(contract: Any, method: str, *args: Any, value: int = 0) -> Call:
    """A call of `contract.method(*args)` (an Ape contract instance), to put in a proposal."""
    calldata = getattr(contract, method).encode_input(*args)
    return Call(target=str(contract.address), calldata=bytes(calldata), value=value)


def make_proposal(calls: Iterable[Call], description: str) -> Proposal:
    """A proposal making `calls` in order, described by `description`."""
    made = tuple(calls)
    if not made:
        raise ValueError("a proposal needs at least one call")
    if not description:
        raise ValueError("a proposal needs a description")
    return Proposal(made, description)


def fund_ess_project(
    pool: Any, registry: Any, project_id: int, amount: int, description: str | None = None
) -> Proposal:
    """Pay `amount` (token units) of the pool's ESS bucket to registered project `project_id`, at
    the payout wallet (and wallet version) on record now: a later wallet change voids it."""
    if amount <= 0:
        raise ValueError("the amount must be positive")
    wallet, _active, version = registry.payoutOf(project_id)
    text = description or f"Fund ESS project #{project_id} with {amount} token units"
    return make_proposal([call(pool, "fundEssProject", project_id, str(wallet), int(version), amount)], text)


def activate_project(registry: Any, project_id: int, description: str | None = None) -> Proposal:
    """Switch project `project_id` on, for the payout wallet on record now."""
    wallet, _active, version = registry.payoutOf(project_id)
    text = description or f"Activate ESS project #{project_id} (payout wallet {wallet})"
    return make_proposal([call(registry, "activateProject", project_id, int(version))], text)


def guardian_cancel(governor: Any, proposal: Proposal, reason: str, sender: Any) -> Any:
    """The guardian cancels `proposal` (bound), giving `reason`; returns the receipt."""
    return governor.guardianCancel(
        proposal.targets,
        proposal.values,
        proposal.calldatas,
        proposal.description_hash,
        reason,
        sender=sender,
    )


def set_shares(
    pool: Any, members_bps: int, ess_bps: int, collective_bps: int, description: str | None = None
) -> Proposal:
    """Split future inflows as members / ESS / collective basis points (they must sum to 10,000
    and ESS must stay at or above the pool's floor, or execution reverts)."""
    text = description or (
        f"Set shares: members {members_bps} bps, ESS {ess_bps} bps, collective {collective_bps} bps"
    )
    return make_proposal([call(pool, "setShares", (members_bps, ess_bps, collective_bps))], text)


def exclude_member(membership: Any, member: str, reason: str, description: str | None = None) -> Proposal:
    """Exclude `member` for `reason`: its voting power and future accrual end, its earnings stay."""
    text = description or f"Exclude member {member}: {reason}"
    return make_proposal([call(membership, "exclude", member, reason)], text)


def propose(governor: Any, proposal: Proposal, sender: Any) -> Any:
    """`sender` (a member) submits the proposal, bound to it if it is not yet (bind it first with
    `proposal.by(sender)` to know its id); returns the receipt."""
    bound = proposal if proposal.proposer is not None else proposal.by(sender)
    return governor.propose(bound.targets, bound.values, bound.calldatas, bound.description, sender=sender)


def vote(governor: Any, proposal_id: int, support: Support | int, sender: Any, reason: str = "") -> Any:
    """`sender` votes on the proposal, with `reason` if one is given; returns the receipt."""
    if reason:
        return governor.castVoteWithReason(proposal_id, int(support), reason, sender=sender)
    return governor.castVote(proposal_id, int(support), sender=sender)


def signed_ballot(
    governor: Any, proposal_id: int, support: Support | int, voter: Any, reason: str = ""
) -> tuple[Ballot, bytes]:
    """`voter` (an account holding its key) signs its vote off chain: the ballot, at the voter's
    current nonce, and the signature `vote_by_signature` relays."""
    ballot = Ballot(
        proposal_id, int(support), str(voter.address), int(governor.nonces(voter.address)), reason
    )
    domain = Domain.from_eip712_domain(governor.eip712Domain())
    return ballot, ballot.sign(domain, voter.private_key)


def vote_by_signature(governor: Any, ballot: Ballot, signature: bytes, relayer: Any) -> Any:
    """`relayer` casts a signed ballot (`castVoteWithReasonAndParamsBySig`) and pays the gas; the
    vote counts for the ballot's voter. Returns the receipt."""
    return governor.castVoteWithReasonAndParamsBySig(
        ballot.proposal_id,
        ballot.support,
        ballot.voter,
        ballot.reason,
        ballot.params,
        signature,
        sender=relayer,
    )


def queue(governor: Any, proposal: Proposal, sender: Any) -> Any:
    """Queue a succeeded proposal in the timelock (anyone may); returns the receipt."""
    return governor.queue(
        proposal.targets, proposal.values, proposal.calldatas, proposal.description_hash, sender=sender
    )


def execute(governor: Any, proposal: Proposal, sender: Any) -> Any:
    """Execute a queued proposal whose timelock delay has passed (anyone may); returns the receipt."""
    return governor.execute(
        proposal.targets, proposal.values, proposal.calldatas, proposal.description_hash, sender=sender
    )


def state(governor: Any, proposal_id: int) -> ProposalState:
    """Where the proposal stands."""
    return ProposalState(int(governor.state(proposal_id)))


def wait_until(timestamp: int, poll_seconds: float = 12.0) -> None:
    """Make the latest block's timestamp at least `timestamp`.

    On a development chain a block is mined at that time; on a live network this sleeps until the
    chain gets there.
    """
    from ape import chain

    if chain.blocks.head.timestamp >= timestamp:
        return
    if chain.provider.network.is_dev:
        chain.mine(timestamp=max(timestamp, chain.blocks.head.timestamp + 1))
        return
    while chain.blocks.head.timestamp < timestamp:
        time.sleep(poll_seconds)


def wait_for_voting_start(governor: Any, proposal_id: int) -> None:
    """Until votes are taken: the clock is past the proposal's snapshot."""
    wait_until(int(governor.proposalSnapshot(proposal_id)) + 1)


def wait_for_voting_end(governor: Any, proposal_id: int) -> None:
    """Until voting has closed: the clock is past the proposal's deadline."""
    wait_until(int(governor.proposalDeadline(proposal_id)) + 1)


def wait_for_timelock(governor: Any, proposal_id: int) -> None:
    """Until a queued proposal may execute: the timelock's delay has passed."""
    eta = int(governor.proposalEta(proposal_id))
    if eta == 0:
        raise ValueError(f"proposal {proposal_id} is not queued")
    wait_until(eta)


def enact(
    governor: Any,
    proposal: Proposal,
    proposer: Any,
    voters: Sequence[Any],
    reason: str = "",
) -> Any:
    """Run a proposal through every step: `proposer` submits it, every one of `voters` votes For
    (with `reason`), then it is queued and executed once the delays allow; returns the execution
    receipt. Meant for development chains, where the waits are instant."""
    proposal = proposal if proposal.proposer is not None else proposal.by(proposer)
    propose(governor, proposal, proposer)
    proposal_id = proposal.proposal_id(governor)
    wait_for_voting_start(governor, proposal_id)
    for voter in voters:
        vote(governor, proposal_id, Support.FOR, voter, reason)
    wait_for_voting_end(governor, proposal_id)
    queue(governor, proposal, proposer)
    wait_for_timelock(governor, proposal_id)
    return execute(governor, proposal, proposer)
