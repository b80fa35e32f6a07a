"""Invitations: their status at the indexed block, filtered pages; and a member's admission
figures (probation, invitations available) replayed as the membership contract computes them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, func, not_, or_, select

from cmir.api.schemas.common import PageMeta, timestamp
from cmir.api.schemas.members import InvitationItem, InvitationList
from cmir.api.services.context import Context, by_position, load_as_of
from cmir.api.services.points import now_of
from cmir.store import MEMBER_KINDS, Invitation, Member
from cmir.store.invitations import credits

I = Invitation.__table__  # noqa: E741
M = Member.__table__
INVITEE = M.alias("invitee_member")
SPONSOR = M.alias("sponsor_member")
CLOSED = ("accepted", "revoked", "renewed")


@dataclass(frozen=True)
class Admission:
    """The indexed block's time and the allowance's rules in force (dao_state)."""

    now: int
    refill_period: int | None
    cap: int | None

    def figures(self, row: Any) -> tuple[bool, int, int | None]:
        """(can vote, invitations available, when the next accrues) of a members row, as
        ``getVotes`` and ``invitationsAvailable`` give them at `now`."""
        active = row.status == "active"
        votes_from = row.votes_from
        can_vote = active and votes_from is not None and int(votes_from) <= self.now
        anchor = row.invitation_anchor
        if not active or anchor is None or self.refill_period is None or self.cap is None:
            return can_vote, 0, None
        available, next_at = credits(int(anchor), int(self.refill_period), int(self.cap), self.now)
        return can_vote, available, next_at or None


def status_of(row: Any, now: int) -> str:
    """An invitation's status at `now` (a row with ``invitee_joined`` and ``sponsor_status``)."""
    if row.status != "pending":
        return str(row.status)
    if row.expires_at is not None and now >= int(row.expires_at):
        return "expired"
    if row.invitee_joined is not None or row.sponsor_status == "excluded":
        return "lapsed"
    return "live"


def status_condition(status: str, now: int) -> ColumnElement[bool]:
    """SQL for `status_of(row, now) == status`, over `joined`."""
    if status in CLOSED:
        return I.c.status == status
    expired = and_(I.c.status == "pending", I.c.expires_at.is_not(None), I.c.expires_at <= now)
    if status == "expired":
        return expired
    lapsed = or_(INVITEE.c.joined_at.is_not(None), SPONSOR.c.status == "excluded")
    open_ = and_(I.c.status == "pending", or_(I.c.expires_at.is_(None), I.c.expires_at > now))
    if status == "lapsed":
        return and_(open_, lapsed)
    return and_(open_, not_(func.coalesce(lapsed, False)))


def joined() -> Any:
    """Invitations with their invitee's and sponsor's member rows (either may be missing)."""
    return I.outerjoin(
        INVITEE, and_(INVITEE.c.chain_id == I.c.chain_id, INVITEE.c.address == I.c.invitee)
    ).outerjoin(SPONSOR, and_(SPONSOR.c.chain_id == I.c.chain_id, SPONSOR.c.address == I.c.sponsor))


def _columns() -> list[Any]:
    return [I, INVITEE.c.joined_at.label("invitee_joined"), SPONSOR.c.status.label("sponsor_status")]


def invitation_item(ctx: Context, row: Any, now: int) -> InvitationItem:
    """An `InvitationItem` from a row of `joined()`."""
    kind = row.kind
    return InvitationItem(
        **ctx.tx_fields(row),
        invitee=row.invitee,
        sponsor=row.sponsor,
        kind=MEMBER_KINDS[kind] if kind is not None and 0 <= kind < len(MEMBER_KINDS) else None,  # type: ignore[arg-type]
        status=status_of(row, now),  # type: ignore[arg-type]
        expires_at=timestamp(row.expires_at),
        closed_at=timestamp(row.closed_time),
        closed_tx=row.closed_tx,
        revoked_by=row.revoked_by,
    )


def pending_sent(
    connection: Connection, ctx: Context, sponsor: str, now: int, limit: int
) -> list[InvitationItem]:
    """Invitations `sponsor` sent that are still on chain (newest first)."""
    query = (
        select(*_columns())
        .select_from(joined())
        .where(I.c.chain_id == ctx.chain_id, I.c.sponsor == sponsor, I.c.status == "pending")
        .order_by(*by_position(I))
        .limit(limit)
    )
    return [invitation_item(ctx, r, now) for r in connection.execute(query)]


def list_invitations(
    connection: Connection,
    ctx: Context,
    invitee: str | None,
    sponsor: str | None,
    status: str | None,
    limit: int,
    offset: int,
) -> InvitationList:
    """A page of invitations, newest first, filtered by invitee, sponsor and status."""
    now = now_of(load_as_of(connection, ctx))
    conditions: list[Any] = [I.c.chain_id == ctx.chain_id]
    if invitee is not None:
        conditions.append(I.c.invitee == invitee)
    if sponsor is not None:
        conditions.append(I.c.sponsor == sponsor)
    if status is not None:
        conditions.append(status_condition(status, now))
    total = int(
        connection.execute(select(func.count()).select_from(joined()).where(*conditions)).scalar_one()
    )
    rows = connection.execute(
        select(*_columns())
        .select_from(joined())
        .where(*conditions)
        .order_by(*by_position(I))
        .limit(limit)
        .offset(offset)
    ).all()
    following = offset + len(rows)
    return InvitationList(
        items=[invitation_item(ctx, r, now) for r in rows],
        page=PageMeta(
            limit=limit, offset=offset, total=total, next_offset=following if following < total else None
        ),
    )
