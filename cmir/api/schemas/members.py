"""Members: the list, one member with its network position and rewards, its relations."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from cmir.api.schemas.common import Amount, MemberKind, PageMeta, Schema, TxRef

MemberStatus = Literal["active", "excluded"]
InvitationStatus = Literal["live", "expired", "lapsed", "accepted", "revoked", "renewed"]


class MemberRef(Schema):
    """Another member, briefly."""

    address: str
    kind: MemberKind | None
    status: MemberStatus
    joined_at: datetime | None


class MemberItem(Schema):
    """A member with its counts and reward position at the indexed block."""

    address: str
    kind: MemberKind | None
    status: MemberStatus
    sponsor: str | None = Field(description="direct sponsor; null for founders and admissions without one")
    joined_at: datetime | None
    joined_block: int | None
    by_governance: bool | None
    excluded_at: datetime | None
    points: str = Field(pattern=r"^[0-9]+$", description="matured + pending points (pointsOf)")
    matured_points: str = Field(
        pattern=r"^[0-9]+$", description="points sharing in inflows (memberPoints().matured)"
    )
    pending_points: str = Field(
        pattern=r"^[0-9]+$",
        description="points earned in an epoch not yet ended: they share only in inflows booked "
        "after `matures_at` (memberPoints().pending)",
    )
    pending_epoch: int | None = Field(description="the epoch of the pending points; null when none")
    matures_at: datetime | None = Field(
        description="when the pending points mature (the end of their epoch); null when none"
    )
    relations_paid: int
    relations_received: int
    invitations_sent: int = Field(description="invitations sent and not revoked (memberOf().invitationsSent)")
    votes_from: datetime | None = Field(
        description="end of its probation (memberOf().votesFrom): its vote counts, and it may invite "
        "and propose, from then on (founders: from joining)"
    )
    can_vote: bool = Field(description="active and past its probation at the indexed block")
    invitations_available: int = Field(
        ge=0,
        description="invitations it may send now (invitationsAvailable().available): one accrues "
        "every refill period after probation, up to the cap; 0 for an excluded member",
    )
    next_invitation_at: datetime | None = Field(
        description="when the next invitation accrues (invitationsAvailable().nextAt); null at the cap"
    )
    amount_paid: Amount = Field(description="total paid for relations")
    earned: Amount = Field(description="claimed + claimable: every reward ever attributed")
    claimed: Amount
    claimable: Amount = Field(description="what the pool's claimableOf gives at the indexed block")
    exclusion_reason: str | None = Field(description="governance's reason, when excluded")
    fee_paid: Amount = Field(description="membership fee paid on joining")
    explorer_url: str | None


class MemberList(Schema):
    """A page of members."""

    items: list[MemberItem]
    page: PageMeta


class RelationFields(TxRef):
    """What a paid relation (RelationPaid) moved: its parties, its reference and the split."""

    payer: str
    counterparty: str
    relation_ref: str
    amount: Amount
    to_members: Amount
    to_ess: Amount
    to_collective: Amount
    members_to_ess: Amount = Field(
        description="of the members' share, what went to ESS (part of to_ess): no matured points, "
        "above the epoch's reward cap, or rounding"
    )
    epoch: int = Field(ge=0, description="the epoch of the relation: its points mature when it ends")


class RelationItem(RelationFields):
    """A paid relation seen from one member."""

    direction: Literal["paid", "received"]
    points_earned: str = Field(pattern=r"^[0-9]+$", description="points this relation gave the member")


class RelationList(Schema):
    """A page of relations, newest first; pass `next_cursor` as `cursor` for the next page."""

    items: list[RelationItem]
    limit: int
    next_cursor: str | None


class InvitationItem(TxRef):
    """An invitation (the MemberInvited event). The chain keeps one per (invitee, sponsor):
    `live` ones can be accepted (naming that sponsor and kind) until `expires_at`; `expired` ones
    no longer (the sponsor may send a new one: the old one is then `renewed`); `lapsed` ones
    cannot be any more because the invitee joined otherwise or the sponsor was excluded;
    `accepted` and `revoked` ones are closed (by the sponsor or by governance)."""

    invitee: str
    sponsor: str
    kind: MemberKind | None
    status: InvitationStatus
    expires_at: datetime | None = Field(description="null for invitations that never expired")
    closed_at: datetime | None = Field(description="when it was accepted, revoked or renewed")
    closed_tx: str | None
    revoked_by: str | None = Field(description="the sponsor, or the governance (timelock)")


class InvitationList(Schema):
    """A page of invitations, newest first."""

    items: list[InvitationItem]
    page: PageMeta


class ClaimItem(TxRef):
    """A claim of rewards."""

    amount: Amount


class Freeze(TxRef):
    """Points removed at exclusion; the rewards accrued then stay claimable."""

    matured_removed: str = Field(pattern=r"^[0-9]+$")
    pending_removed: str = Field(pattern=r"^[0-9]+$")
    accrued: Amount


class MemberDetail(MemberItem):
    """One member: sponsor, invitees, relations and rewards."""

    sponsor_member: MemberRef | None
    invitees: list[MemberRef] = Field(description="members it sponsored (first 50, by joining)")
    invitees_total: int
    pending_invitations: list[InvitationItem] = Field(
        description="invitations it sent still on chain and not accepted (live, expired or lapsed; "
        "first 50, newest first; more: /invitations?sponsor=)"
    )
    recent_relations: list[RelationItem] = Field(description="latest 10 paid or received (more: /relations)")
    recent_claims: list[ClaimItem] = Field(description="latest 10")
    freeze: Freeze | None
