"""Governance: proposals (state, timeline, decoded actions, tallies, quorum) and votes."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field, JsonValue

from backend.schemas.common import PageMeta, Schema, TxRef

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
    """Quorum and turnout against the members at the proposal's snapshot."""

    members_at_snapshot: int
    quorum_numerator: int = Field(description="percent of the members at the snapshot")
    required: str = Field(description="For + Abstain votes needed")
    counted: str = Field(description="For + Abstain votes cast")
    reached: bool
    turnout_percent: float | None = Field(description="voters ÷ members at the snapshot x 100")


class TimelineEntry(Schema):
    """A step of the proposal's life; blocks and transactions for the recorded ones."""

    step: Literal["created", "voting_starts", "voting_ends", "queued", "executable", "executed", "canceled"]
    time: datetime | None
    block: int | None
    tx_hash: str | None
    explorer_url: str | None
    done: bool = Field(description="already happened at the indexed block")


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
    tally: Tally
    quorum: Quorum
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
    """A vote."""

    voter: str
    support: Support
    weight: str
    reason: str
    params: str | None


class VoteList(Schema):
    """A page of a proposal's votes, in the order they were cast."""

    items: list[VoteItem]
    page: PageMeta
