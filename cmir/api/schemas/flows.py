"""Flows: every inflow and outflow, totals per period, and the Sankey diagram's graph."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from cmir.api.schemas.common import Amount, AsOf, Bucket, Period, Schema, TxRef

FlowKind = Literal[
    "relation", "contribution", "membership_fee", "surplus", "claim", "ess_funding", "collective_spend"
]
INFLOW_KINDS: tuple[str, ...] = ("relation", "contribution", "membership_fee", "surplus")
OUTFLOW_KINDS: tuple[str, ...] = ("claim", "ess_funding", "collective_spend")


class Split(Schema):
    """How an inflow was split between the buckets."""

    members: Amount = Field(description="spread over the matured points")
    ess: Amount = Field(description="the ESS share, and the inflow's members_to_ess")
    collective: Amount


class FlowItem(TxRef):
    """Money into the pool (``in``: split into the three buckets) or out of one bucket (``out``)."""

    id: str = Field(description="<block>-<log index>")
    direction: Literal["in", "out"]
    kind: FlowKind
    bucket: Bucket | None = Field(description="the bucket an outflow left; null for inflows (see split)")
    amount: Amount
    split: Split | None
    members_to_ess: Amount | None = Field(
        description="of an inflow's members' share, what went to ESS (part of split.ess): no matured "
        "points yet, above the epoch's reward cap, or rounding; 0 for a surplus (all ESS); null for outflows"
    )
    epoch: int | None = Field(description="the epoch an inflow was booked in; null for outflows")
    source: str | None = Field(description="who paid in (payer, contributor, new member, caller)")
    recipient: str | None = Field(description="who received an outflow")
    counterparty: str | None = Field(description="a relation's counterparty")
    relation_ref: str | None
    memo: str | None
    project_id: str | None
    proposal_id: str | None


class FlowList(Schema):
    """A page of flows, newest first; pass `next_cursor` as `cursor` for the next page."""

    items: list[FlowItem]
    limit: int
    next_cursor: str | None


class FlowTotalsPoint(Schema):
    """Money in and out during one period."""

    start: date
    inflow: Amount
    to_members: Amount
    to_ess: Amount
    to_collective: Amount
    claimed: Amount
    ess_disbursed: Amount
    collective_spent: Amount
    outflow: Amount
    counts: dict[str, int] = Field(description="events by flow kind")


class FlowTotals(Schema):
    """Totals per day, week or month (periods with events), oldest first, and over all time."""

    as_of: AsOf
    period: Period
    total_in: Amount
    total_out: Amount
    points: list[FlowTotalsPoint]


class SankeyNode(Schema):
    """A node: a kind of inflow, a bucket, or where money went (or stays)."""

    id: str
    label: str = Field(description="French label")
    label_en: str
    column: int = Field(ge=0, le=2, description="0 sources, 1 buckets, 2 destinations")


class SankeyLink(Schema):
    """Money from one node to another."""

    source: str
    target: str
    value: Amount


class Sankey(Schema):
    """Inflows → buckets → claims, ESS projects, collective spends and what is still available.
    Each bucket's incoming links sum to what it received and its outgoing links to the same."""

    as_of: AsOf
    nodes: list[SankeyNode]
    links: list[SankeyLink]
