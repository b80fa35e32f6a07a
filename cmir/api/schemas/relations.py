"""Every paid relation of the network, whole: both parties, both sponsors and every party's points."""

from __future__ import annotations

from pydantic import Field

from cmir.api.schemas.common import Schema
from cmir.api.schemas.members import RelationFields

POINTS = Field(pattern=r"^[0-9]+$")


class RelationEntry(RelationFields):
    """A paid relation (RelationPaid) as the chain recorded it, whole."""

    id: str = Field(description="<block>-<log index>")
    payer_sponsor: str | None = Field(description="the payer's sponsor (null when absent or not active)")
    counterparty_sponsor: str | None = Field(description="the counterparty's sponsor (null likewise)")
    payer_points: str = POINTS
    counterparty_points: str = POINTS
    payer_sponsor_points: str = POINTS
    counterparty_sponsor_points: str = POINTS
    reward_per_point: str = Field(
        pattern=r"^[0-9]+$", description="the pool's accumulator after the split (x 1e-27 per point)"
    )


class RelationPage(Schema):
    """A page of relations, newest first; pass `next_cursor` as `cursor` for the next page."""

    items: list[RelationEntry]
    limit: int
    next_cursor: str | None
