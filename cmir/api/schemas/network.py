"""The member network: a graph (nodes, sponsorship and relation edges) and summary figures."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from cmir.api.schemas.common import Amount, AsOf, MemberKind, PageMeta, Period, Schema


class GraphNode(Schema):
    """A member."""

    id: str = Field(description="the member's address")
    kind: MemberKind | None
    status: Literal["active", "excluded"]
    sponsor: str | None
    joined_at: datetime | None
    points: str
    relations: int = Field(description="relations paid + received")


class GraphEdge(Schema):
    """Sponsorship (sponsor → invitee) or paid relations (payer → counterparty, aggregated)."""

    source: str
    target: str
    type: Literal["sponsorship", "relation"]
    count: int = Field(ge=1, description="relations paid from source to target (1 for sponsorship)")
    amount: Amount | None = Field(description="total paid from source to target (relations)")


class Graph(Schema):
    """A page of nodes and the edges between them (every edge joins two nodes of the page)."""

    as_of: AsOf
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    edges_truncated: bool = Field(description="true when more relation edges exist than `max_edges`")
    page: PageMeta


class KindCount(Schema):
    """Members of one kind."""

    kind: MemberKind | None
    active: int
    excluded: int


class GrowthPoint(Schema):
    """Members joined and relations paid during a period, and the cumulative counts at its end."""

    start: date
    joined: int
    members: int
    relations: int
    relations_total: int


class NetworkSummary(Schema):
    """The network at the indexed block."""

    as_of: AsOf
    members: int
    active_members: int
    by_kind: list[KindCount]
    sponsorships: int = Field(description="members with a sponsor")
    relations: int
    relations_amount: Amount
    pending_invitations: int
    period: Period
    growth: list[GrowthPoint]
