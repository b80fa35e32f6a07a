"""Governance: proposals (state, timeline, decoded actions, tallies, quorum) and votes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, JsonValue

from cmir.api.schemas.common import Amount, AsOf, PageMeta, Schema, TxRef

ProposalState = Literal[
    "pending", "active", "canceled", "defeated", "succeeded", "queued", "expired", "executed"
]
Support = Literal["against", "for", "abstain"]


class Tally(Schema):
    """Votes cast (one member, one vote)."""

    for_votes: str
    against_votes: str
    abstain_votes: str
    voters: int


class Quorum(Schema):
    """Quorum and turnout against the members at the proposal's snapshot: the larger of the
    fraction of the members and the absolute floor (at most every member)."""

    members_at_snapshot: int = Field(description="every active member, in probation or not")
    quorum_numerator: int = Field(description="percent of the members at the snapshot")
    quorum_floor: int = Field(description="absolute floor in force at the snapshot, in votes")
    required: str = Field(description="For + Abstain votes needed")
    counted: str = Field(description="For + Abstain votes cast")
    reached: bool
    turnout_percent: float | None = Field(description="voters ÷ members at the snapshot x 100")


class TimelineEntry(Schema):
    """A step of the proposal's life; blocks and transactions for the recorded ones."""

    step: Literal[
        "created", "voting_starts", "voting_ends", "queued", "executable", "expires", "executed", "canceled"
    ]
    time: datetime | None
    block: int | None
    tx_hash: str | None
    explorer_url: str | None
    done: bool = Field(description="already happened at the indexed block")


class ActionPayout(Schema):
    """What a funding or an activation names: the project's wallet and wallet version when the
    proposal was made. A later wallet change voids it (executing it would revert)."""

    project_id: str
    payout_wallet: str | None = Field(description="the wallet a funding pays (null for an activation)")
    wallet_version: int
    amount: Amount | None = Field(description="null for an activation")
    current_wallet_version: int | None = Field(description="the project's now (null: unknown project)")
    void: bool = Field(description="the proposal may still be executed, but this call would revert")


class Action(Schema):
    """A call the proposal makes, decoded with the deployment's ABIs when it targets them."""

    index: int
    target: str
    value: str
    contract: str | None
    function: str | None
    signature: str | None
    decoded: bool
    args: dict[str, JsonValue] = Field(description="integers as decimal strings")
    calldata: str = Field(description="raw calldata (cut to 2,000 characters)")
    payout: ActionPayout | None = Field(description="for fundEssProject and activateProject calls")


class GuardianCancellation(Schema):
    """The guardian ("conseil de surveillance") cancelled the proposal, giving a public reason."""

    guardian: str
    reason: str
    time: datetime | None
    block_number: int | None
    tx_hash: str | None
    explorer_url: str | None


class ProposalItem(Schema):
    """A proposal, with the Governor's state at the indexed block."""

    id: str = Field(description="the Governor's proposal id (uint256, decimal)")
    proposer: str
    state: ProposalState
    title: str = Field(description="first line of the description")
    created_at: datetime | None
    created_block: int
    vote_start: datetime | None
    vote_end: datetime | None
    expires_at: datetime | None = Field(
        description="proposalExpiresAt: the ETA once queued, else the deadline, plus the approval "
        "grace period in force at the snapshot; a succeeded or queued proposal not executed by "
        "then is Expired for good"
    )
    tally: Tally
    quorum: Quorum
    guardian_cancellation: GuardianCancellation | None
    void: bool = Field(
        description="a funding or activation it names no longer matches the project's wallet: "
        "executing it would revert"
    )
    explorer_url: str | None = Field(description="the proposing transaction")


class ProposalList(Schema):
    """A page of proposals, newest first."""

    items: list[ProposalItem]
    page: PageMeta


class ProposalDetail(ProposalItem):
    """One proposal with its description, decoded actions and timeline."""

    description: str
    actions: list[Action]
    timeline: list[TimelineEntry]
    eta: datetime | None


class VoteItem(TxRef):
    """A vote: its weight is 0 when the voter was in probation at the snapshot."""

    voter: str
    support: Support
    weight: str
    reason: str
    params: str | None


class VoteList(Schema):
    """A page of a proposal's votes, in the order they were cast."""

    items: list[VoteItem]
    page: PageMeta


class ProposalVoteItem(VoteItem):
    """A vote with the proposal it was cast on."""

    proposal_id: str = Field(description="the Governor's proposal id (uint256, decimal)")


class AllVoteList(Schema):
    """A page of every proposal's votes (or one proposal's), in the order they were cast; pass
    `next_cursor` as `cursor` for the next page."""

    items: list[ProposalVoteItem]
    limit: int
    next_cursor: str | None


class GuardianCancellationItem(GuardianCancellation):
    """A proposal the guardian cancelled, with its reason."""

    proposal_id: str
    title: str
    proposer: str


class GuardianCancellationList(Schema):
    """A page of the guardian's cancellations, newest first."""

    items: list[GuardianCancellationItem]
    page: PageMeta


class GovernanceSettings(Schema):
    """The governed settings of the Governor and of admission, at the indexed block."""

    as_of: AsOf
    voting_delay: int | None = Field(description="seconds between a proposal and its snapshot")
    voting_period: int | None = Field(description="seconds of voting")
    proposal_threshold: str | None = Field(description="votes needed to propose (1: past probation)")
    quorum_numerator: int | None = Field(description="percent of the members at the snapshot")
    quorum_floor: int | None = Field(description="absolute quorum, in votes (at most every member)")
    approval_grace_period: int | None = Field(
        description="seconds an approval stays executable after its deadline (not queued) or its ETA"
    )
    timelock_min_delay: int | None = Field(description="seconds between queueing and execution")
    guardian: str | None = Field(description="may only cancel proposals, with a public reason; null: none")
    probation: int | None = Field(description="seconds from joining before a member votes, invites, proposes")
    invitation_refill_period: int | None = Field(description="seconds for one invitation to accrue")
    invitation_cap: int | None = Field(description="most unused invitations a member holds")
    invitation_ttl: int | None = Field(description="seconds an invitation stays acceptable")
    membership_fee: Amount
    attesters: int = Field(ge=0, description="accounts that may attest ESS structures now")
    active_members: int
    members_in_probation: int = Field(ge=0, description="active members whose vote does not count yet")
