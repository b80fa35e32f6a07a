"""Members: filtered pages, one member's record, its relations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Connection, bindparam, func, or_, select, tuple_, union_all

from cmir.api.errors import NotFoundError
from cmir.api.schemas.common import AsOf, PageMeta, timestamp
from cmir.api.schemas.members import (
    ClaimItem,
    Freeze,
    MemberDetail,
    MemberItem,
    MemberList,
    MemberRef,
    RelationItem,
    RelationList,
)
from cmir.api.services.context import (
    Context,
    cursor_of,
    escape_like,
    load_as_of,
)
from cmir.api.services.invitations import Admission, pending_sent
from cmir.api.services.points import Position, matured_at, now_of, position
from cmir.api.statements import Prepared
from cmir.store import MEMBER_KINDS, Claim, DaoState, Member, Relation, RewardFreeze

M = Member.__table__
R = Relation.__table__
C = Claim.__table__
F = RewardFreeze.__table__
S = DaoState.__table__

INVITEES_SHOWN = 50
Sort = Literal["joined", "points", "relations", "address"]
Order = Literal["asc", "desc"]


@dataclass(frozen=True)
class MemberFilter:
    """Filters of the member list."""

    kind: str | None = None
    status: str | None = None
    joined_from: datetime | None = None
    joined_to: datetime | None = None
    sponsor: str | None = None
    q: str | None = None
    in_probation: bool | None = None


def kind_name(kind: int | None) -> Any:
    """The name of a member kind index."""
    return MEMBER_KINDS[kind] if kind is not None and 0 <= kind < len(MEMBER_KINDS) else None


def reward_per_point(connection: Connection, ctx: Context) -> int:
    """The pool's accumulator at the indexed block."""
    return int(_RPP.scalar(connection, {"chain": ctx.chain_id}) or 0)


class Positions:
    """Members' positions at the indexed block: its time (read only for a member with pending
    points) and the pool's accumulator."""

    def __init__(
        self, connection: Connection, ctx: Context, reward_per_point: int, as_of: AsOf | None = None
    ) -> None:
        self.connection = connection
        self.ctx = ctx
        self.reward_per_point = reward_per_point
        self.as_of = as_of
        self.matured_at = matured_at(connection, ctx)

    def of(self, row: Any) -> Position:
        """The position of a members row (`cmir.api.services.points.position`)."""
        if not int(row.pending_points):
            return position(row, 0, self.reward_per_point, self.matured_at)
        if self.as_of is None:
            self.as_of = load_as_of(self.connection, self.ctx)
        return position(row, now_of(self.as_of), self.reward_per_point, self.matured_at)


def member_item(ctx: Context, row: Any, positions: Positions, admission: Admission) -> MemberItem:
    """A `MemberItem` from a members row."""
    return MemberItem(**_item_fields(ctx, row, positions.of(row), admission))


_RULES = Prepared(
    select(S.c.invitation_refill_period, S.c.invitation_cap).where(S.c.chain_id == bindparam("chain"))
)


def admission(connection: Connection, ctx: Context, as_of: AsOf) -> Admission:
    """The indexed block's time and the invitation rules in force."""
    rules = _RULES.first(connection, {"chain": ctx.chain_id})
    return Admission(
        now=now_of(as_of),
        refill_period=None if rules is None else rules.invitation_refill_period,
        cap=None if rules is None else rules.invitation_cap,
    )


def _item_fields(ctx: Context, row: Any, pos: Position, admission: Admission) -> dict[str, Any]:
    due = pos.claimable
    can_vote, available, next_at = admission.figures(row)
    return {
        "address": row.address,
        "kind": kind_name(row.kind),
        "status": row.status,
        "sponsor": row.sponsor,
        "joined_at": timestamp(row.joined_at),
        "joined_block": row.joined_block,
        "by_governance": row.by_governance,
        "excluded_at": timestamp(row.excluded_at),
        "points": str(pos.points),
        "matured_points": str(pos.matured),
        "pending_points": str(pos.pending),
        "pending_epoch": pos.pending_epoch,
        "matures_at": timestamp(pos.matures_at),
        "relations_paid": row.relations_paid,
        "relations_received": row.relations_received,
        "invitations_sent": row.invitations_sent,
        "votes_from": timestamp(row.votes_from),
        "can_vote": can_vote,
        "invitations_available": available,
        "next_invitation_at": timestamp(next_at),
        "amount_paid": ctx.amount(row.amount_paid),
        "earned": ctx.amount(int(row.claimed) + due),
        "claimed": ctx.amount(row.claimed),
        "claimable": ctx.amount(due),
        "exclusion_reason": row.exclusion_reason,
        "fee_paid": ctx.amount(row.fee_paid),
        "explorer_url": ctx.address_link(row.address),
    }


def member_conditions(ctx: Context, f: MemberFilter, now: int = 0) -> list[Any]:
    """WHERE conditions of a member filter (joined members only) at block time `now` (which only
    the probation filter reads)."""
    conditions: list[Any] = [M.c.chain_id == ctx.chain_id, M.c.joined_at.is_not(None)]
    if f.kind is not None:
        conditions.append(M.c.kind == MEMBER_KINDS.index(f.kind))
    if f.status is not None:
        conditions.append(M.c.status == f.status)
    if f.joined_from is not None:
        conditions.append(M.c.joined_at >= int(f.joined_from.timestamp()))
    if f.joined_to is not None:
        conditions.append(M.c.joined_at < int(f.joined_to.timestamp()))
    if f.sponsor is not None:
        conditions.append(M.c.sponsor == f.sponsor)
    if f.in_probation is not None:
        probation = (M.c.status == "active") & (M.c.votes_from > now)
        conditions.append(probation if f.in_probation else ~probation)
    if f.q:
        pattern = f"%{escape_like(f.q.strip().lower())}%"
        conditions.append(
            or_(
                func.lower(M.c.address).like(pattern, escape="\\"),
                func.lower(func.coalesce(M.c.exclusion_reason, "")).like(pattern, escape="\\"),
            )
        )
    return conditions


_SORTS: dict[str, Any] = {
    "joined": (M.c.joined_block, M.c.address),
    "points": (M.c.matured_points + M.c.pending_points, M.c.address),
    "relations": (M.c.relations_paid + M.c.relations_received, M.c.address),
    "address": (M.c.address,),
}


def _ordered(
    connection: Connection, ctx: Context, f: MemberFilter, sort: Sort, order: Order, now: int
) -> list[str]:
    keys = [k.desc() if order == "desc" else k.asc() for k in _SORTS[sort]]
    query = select(M.c.address).where(*member_conditions(ctx, f, now)).order_by(*keys)
    return list(connection.execute(query).scalars())


def list_members(
    connection: Connection, ctx: Context, f: MemberFilter, sort: Sort, order: Order, limit: int, offset: int
) -> MemberList:
    """A page of members matching `f`. Without a text, sponsor or period filter, the order of
    every member is computed once per indexed block and pages are read by primary key."""
    as_of = load_as_of(connection, ctx)
    now = now_of(as_of)
    if f.q is None and f.sponsor is None and f.joined_from is None and f.joined_to is None:
        ordered = ctx.cached(
            as_of, ("member-order", f, sort, order), lambda: _ordered(connection, ctx, f, sort, order, now)
        )
        total = len(ordered)
        wanted = ordered[offset : offset + limit]
        found = {
            r.address: r
            for r in connection.execute(
                select(M).where(M.c.chain_id == ctx.chain_id, M.c.address.in_(wanted))
            )
        }
        rows = [found[a] for a in wanted if a in found]
    else:
        conditions = member_conditions(ctx, f, now)
        total = int(connection.execute(select(func.count()).select_from(M).where(*conditions)).scalar_one())
        keys = [k.desc() if order == "desc" else k.asc() for k in _SORTS[sort]]
        rows = list(
            connection.execute(select(M).where(*conditions).order_by(*keys).limit(limit).offset(offset)).all()
        )
    positions = Positions(connection, ctx, reward_per_point(connection, ctx), as_of)
    rules = admission(connection, ctx, as_of)
    following = offset + len(rows)
    return MemberList(
        items=[member_item(ctx, r, positions, rules) for r in rows],
        page=PageMeta(
            limit=limit, offset=offset, total=total, next_offset=following if following < total else None
        ),
    )


def _ref(row: Any) -> MemberRef:
    return MemberRef(
        address=row.address, kind=kind_name(row.kind), status=row.status, joined_at=timestamp(row.joined_at)
    )


def relation_fields(ctx: Context, row: Any) -> dict[str, Any]:
    """The `RelationFields` of a relations row (its parties, reference and split)."""
    return {
        **ctx.tx_fields(row),
        "payer": row.payer,
        "counterparty": row.counterparty,
        "relation_ref": row.relation_ref,
        "amount": ctx.amount(row.amount),
        "to_members": ctx.amount(row.to_members),
        "to_ess": ctx.amount(row.to_ess),
        "to_collective": ctx.amount(row.to_collective),
        "members_to_ess": ctx.amount(row.members_to_ess),
        "epoch": row.epoch,
    }


def relation_item(ctx: Context, row: Any, member: str) -> RelationItem:
    """A relation seen from `member` (its payer or its counterparty)."""
    paid = row.payer == member
    return RelationItem(
        **relation_fields(ctx, row),
        direction="paid" if paid else "received",
        points_earned=str(row.payer_points if paid else row.counterparty_points),
    )


# what a relation row shows: the model's columns but the sponsors, their points and the accumulator
_RELATION_HIDDEN = {
    "payer_sponsor",
    "counterparty_sponsor",
    "payer_sponsor_points",
    "counterparty_sponsor_points",
    "reward_per_point",
}
_RELATION_COLUMNS = [column for column in R.columns if column.name not in _RELATION_HIDDEN]


def _position_page(table: Any, column: Any, *, after: bool, columns: Any = None) -> Any:
    """Rows of one chain whose `column` equals ``:member``, newest first, ``:limit`` of them
    (before the position ``(:block, :log)`` when `after`): a range of the (chain, column, block,
    log index) index, read in its order."""
    conditions = [table.c.chain_id == bindparam("chain"), column == bindparam("member")]
    if after:
        conditions.append(
            tuple_(table.c.block_number, table.c.log_index) < tuple_(bindparam("block"), bindparam("log"))
        )
    return (
        select(*(columns if columns is not None else [table]))
        .where(*conditions)
        .order_by(table.c.block_number.desc(), table.c.log_index.desc())
        .limit(bindparam("limit"))
    )


def _both_sides(after: bool) -> Any:
    """A member's relations on both sides, newest first, ``:limit`` of them: each side a range
    of its index, merged by the database (half the rows and one statement fewer than reading
    both sides whole and merging them here)."""
    sides = [
        _position_page(R, column, after=after, columns=_RELATION_COLUMNS).subquery()
        for column in (R.c.payer, R.c.counterparty)
    ]
    merged = union_all(*(select(side) for side in sides)).subquery()
    return (
        select(merged)
        .order_by(merged.c.block_number.desc(), merged.c.log_index.desc())
        .limit(bindparam("limit"))
    )


# Built once and run on the DBAPI cursor (see `cmir.api.statements`): these run on every member
# page, where SQLAlchemy's own execution cost more than the database's work.
_RELATIONS = {
    **{
        (side, after): Prepared(_position_page(R, column, after=after, columns=_RELATION_COLUMNS))
        for side, column in (("paid", R.c.payer), ("received", R.c.counterparty))
        for after in (False, True)
    },
    **{("all", after): Prepared(_both_sides(after)) for after in (False, True)},
}
_MEMBER = Prepared(select(M).where(M.c.chain_id == bindparam("chain"), M.c.address == bindparam("member")))
_INVITEES = Prepared(
    select(M)
    .where(M.c.chain_id == bindparam("chain"), M.c.sponsor == bindparam("member"), M.c.joined_at.is_not(None))
    .order_by(M.c.joined_block, M.c.address)
    .limit(INVITEES_SHOWN)
)
_INVITEES_COUNT = Prepared(
    select(func.count())
    .select_from(M)
    .where(M.c.chain_id == bindparam("chain"), M.c.sponsor == bindparam("member"), M.c.joined_at.is_not(None))
)
_CLAIMS = Prepared(_position_page(C, C.c.member, after=False))
_FREEZE = Prepared(
    select(F)
    .where(F.c.chain_id == bindparam("chain"), F.c.member == bindparam("member"))
    .order_by(F.c.block_number.desc(), F.c.log_index.desc())
    .limit(1)
)
_RPP = Prepared(select(S.c.reward_per_point).where(S.c.chain_id == bindparam("chain")))
_SPONSOR = M.alias("sponsor_member")
# one member with the pool's accumulator and its sponsor's summary, in one read
_DETAIL = Prepared(
    select(
        M,
        S.c.reward_per_point.label("pool_reward_per_point"),
        S.c.invitation_refill_period.label("pool_refill_period"),
        S.c.invitation_cap.label("pool_invitation_cap"),
        _SPONSOR.c.kind.label("sponsor_kind"),
        _SPONSOR.c.status.label("sponsor_status"),
        _SPONSOR.c.joined_at.label("sponsor_joined_at"),
    )
    .select_from(
        M.outerjoin(S, S.c.chain_id == M.c.chain_id).outerjoin(
            _SPONSOR, (_SPONSOR.c.chain_id == M.c.chain_id) & (_SPONSOR.c.address == M.c.sponsor)
        )
    )
    .where(M.c.chain_id == bindparam("chain"), M.c.address == bindparam("member"))
)


def _relations(
    connection: Connection,
    ctx: Context,
    member: str,
    direction: str,
    cursor: tuple[int, int] | None,
    limit: int,
) -> list[Any]:
    params: dict[str, Any] = {"chain": ctx.chain_id, "member": member, "limit": limit}
    if cursor is not None:
        params["block"], params["log"] = cursor
    return _RELATIONS[direction, cursor is not None].rows(connection, params)


def member_row(connection: Connection, ctx: Context, address: str) -> Any:
    """The members row of `address` (checksummed), or `NotFoundError`."""
    row = _MEMBER.first(connection, {"chain": ctx.chain_id, "member": address})
    if row is None or row.joined_at is None:
        raise NotFoundError(f"no member {address}")
    return row


def member_relations(
    connection: Connection,
    ctx: Context,
    address: str,
    direction: Literal["all", "paid", "received"],
    cursor: tuple[int, int] | None,
    limit: int,
) -> RelationList:
    """A page of a member's relations, newest first."""
    member = member_row(connection, ctx, address)
    rows = _relations(connection, ctx, member.address, direction, cursor, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return RelationList(
        items=[relation_item(ctx, r, member.address) for r in rows],
        limit=limit,
        next_cursor=cursor_of(rows[-1]) if more and rows else None,
    )


def member_detail(connection: Connection, ctx: Context, address: str) -> MemberDetail:
    """One member with its sponsor, invitees, pending invitations, relations, claims and freeze."""
    row = _DETAIL.first(connection, {"chain": ctx.chain_id, "member": address})
    if row is None or row.joined_at is None:
        raise NotFoundError(f"no member {address}")
    params = {"chain": ctx.chain_id, "member": row.address}
    as_of = load_as_of(connection, ctx)
    positions = Positions(connection, ctx, int(row.pool_reward_per_point or 0), as_of)
    rules = Admission(now_of(as_of), row.pool_refill_period, row.pool_invitation_cap)
    sponsor = None
    if row.sponsor and row.sponsor_joined_at is not None:
        sponsor = MemberRef(
            address=row.sponsor,
            kind=kind_name(row.sponsor_kind),
            status=row.sponsor_status,
            joined_at=timestamp(row.sponsor_joined_at),
        )
    invitees = _INVITEES.rows(connection, params)
    invitees_total = len(invitees)
    if invitees_total == INVITEES_SHOWN:
        invitees_total = int(_INVITEES_COUNT.scalar(connection, params))
    # Skipped reads: a pending invitation counts in `invitations_sent` until accepted or revoked;
    # a claim is never of zero; rewards are frozen only by an exclusion, which is final.
    pending = (
        pending_sent(connection, ctx, row.address, rules.now, INVITEES_SHOWN) if row.invitations_sent else []
    )
    claims = _CLAIMS.rows(connection, {**params, "limit": 10}) if int(row.claimed) else []
    freeze_row = _FREEZE.first(connection, params) if row.status == "excluded" else None
    freeze = None
    if freeze_row is not None:
        freeze = Freeze(
            **ctx.tx_fields(freeze_row),
            matured_removed=str(freeze_row.matured_removed),
            pending_removed=str(freeze_row.pending_removed),
            accrued=ctx.amount(freeze_row.accrued),
        )
    return MemberDetail(
        **_item_fields(ctx, row, positions.of(row), rules),
        sponsor_member=sponsor,
        invitees=[_ref(r) for r in invitees],
        invitees_total=invitees_total,
        pending_invitations=pending,
        recent_relations=[
            relation_item(ctx, r, row.address)
            for r in _relations(connection, ctx, row.address, "all", None, 10)
        ],
        recent_claims=[ClaimItem(**ctx.tx_fields(c), amount=ctx.amount(c.amount)) for c in claims],
        freeze=freeze,
    )
