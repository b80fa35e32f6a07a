"""Every paid relation, newest first, in keyset pages read along the table's primary key (chain,
block, log index): each page costs the same at the first relation or the 200,000th."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, select, tuple_

from cmir.api.schemas.relations import RelationEntry, RelationPage
from cmir.api.services.context import Context, cursor_of
from cmir.api.services.members import relation_fields
from cmir.api.statements import Prepared
from cmir.store import Relation

R = Relation.__table__

# Statements by shape (a cursor, a lowest block, a highest block), built once.
_STATEMENTS: dict[tuple[bool, bool, bool], Prepared] = {}


def _statement(after: bool, low: bool, high: bool) -> Prepared:
    key = (after, low, high)
    if key not in _STATEMENTS:
        conditions: list[Any] = [R.c.chain_id == bindparam("chain")]
        if after:
            conditions.append(
                tuple_(R.c.block_number, R.c.log_index) < tuple_(bindparam("block"), bindparam("log"))
            )
        if low:
            conditions.append(R.c.block_number >= bindparam("from_block"))
        if high:
            conditions.append(R.c.block_number <= bindparam("to_block"))
        _STATEMENTS[key] = Prepared(
            select(R)
            .where(*conditions)
            .order_by(R.c.block_number.desc(), R.c.log_index.desc())
            .limit(bindparam("limit"))
        )
    return _STATEMENTS[key]


def _entry(ctx: Context, r: Any) -> RelationEntry:
    return RelationEntry(
        **relation_fields(ctx, r),
        id=cursor_of(r),
        payer_sponsor=r.payer_sponsor,
        counterparty_sponsor=r.counterparty_sponsor,
        payer_points=str(int(r.payer_points)),
        counterparty_points=str(int(r.counterparty_points)),
        payer_sponsor_points=str(int(r.payer_sponsor_points)),
        counterparty_sponsor_points=str(int(r.counterparty_sponsor_points)),
        reward_per_point=str(int(r.reward_per_point)),
    )


def list_relations(
    connection: Connection,
    ctx: Context,
    cursor: tuple[int, int] | None,
    limit: int,
    from_block: int | None = None,
    to_block: int | None = None,
) -> RelationPage:
    """A page of relations (in blocks `from_block`..`to_block` when given), newest first."""
    statement = _statement(cursor is not None, from_block is not None, to_block is not None)
    block, log = cursor if cursor is not None else (None, None)
    rows = statement.rows(
        connection,
        {
            "chain": ctx.chain_id,
            "block": block,
            "log": log,
            "from_block": from_block,
            "to_block": to_block,
            "limit": limit + 1,
        },
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return RelationPage(
        items=[_entry(ctx, r) for r in rows],
        limit=limit,
        next_cursor=cursor_of(rows[-1]) if more and rows else None,
    )
