"""Attesters and attestations of ESS structures."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, func, select

from cmir.api.schemas.attesters import AttestationItem, AttestationList, AttesterItem, AttesterList
from cmir.api.schemas.common import PageMeta, timestamp
from cmir.api.services.context import Context, by_position, load_as_of
from cmir.store import Attestation, Attester, Member

A = Attester.__table__
AT = Attestation.__table__
M = Member.__table__
LATEST = AT.alias("later")


def _page(limit: int, offset: int, count: int, total: int) -> PageMeta:
    following = offset + count
    return PageMeta(
        limit=limit, offset=offset, total=total, next_offset=following if following < total else None
    )


def list_attesters(
    connection: Connection, ctx: Context, allowed: bool | None, limit: int, offset: int
) -> AttesterList:
    """A page of attesters."""
    load_as_of(connection, ctx)
    conditions: list[Any] = [A.c.chain_id == ctx.chain_id]
    if allowed is not None:
        conditions.append(A.c.allowed == allowed)
    total = int(connection.execute(select(func.count()).select_from(A).where(*conditions)).scalar_one())
    rows = connection.execute(
        select(A).where(*conditions).order_by(A.c.changed_block, A.c.address).limit(limit).offset(offset)
    ).all()
    return AttesterList(
        items=[
            AttesterItem(
                address=r.address,
                allowed=r.allowed,
                changed_at=timestamp(r.changed_time),
                changed_block=r.changed_block,
                attestations=r.attestations,
                explorer_url=ctx.address_link(r.address),
            )
            for r in rows
        ],
        page=_page(limit, offset, len(rows), total),
    )


def list_attestations(
    connection: Connection,
    ctx: Context,
    account: str | None,
    attester: str | None,
    limit: int,
    offset: int,
) -> AttestationList:
    """A page of attestations, newest first, each saying whether it still counts."""
    load_as_of(connection, ctx)
    conditions: list[Any] = [AT.c.chain_id == ctx.chain_id]
    if account is not None:
        conditions.append(AT.c.account == account)
    if attester is not None:
        conditions.append(AT.c.attester == attester)
    total = int(connection.execute(select(func.count()).select_from(AT).where(*conditions)).scalar_one())
    later = (
        select(func.count())
        .select_from(LATEST)
        .where(
            LATEST.c.chain_id == AT.c.chain_id,
            LATEST.c.account == AT.c.account,
            (LATEST.c.block_number > AT.c.block_number)
            | and_(LATEST.c.block_number == AT.c.block_number, LATEST.c.log_index > AT.c.log_index),
        )
        .scalar_subquery()
    )
    query = (
        select(AT, later.label("later"), A.c.allowed.label("allowed"), M.c.joined_at.label("joined_at"))
        .select_from(
            AT.outerjoin(A, and_(A.c.chain_id == AT.c.chain_id, A.c.address == AT.c.attester)).outerjoin(
                M, and_(M.c.chain_id == AT.c.chain_id, M.c.address == AT.c.account)
            )
        )
        .where(*conditions)
        .order_by(*by_position(AT))
        .limit(limit)
        .offset(offset)
    )
    rows = connection.execute(query).all()
    items = []
    for r in rows:
        latest = int(r.later) == 0
        items.append(
            AttestationItem(
                **ctx.tx_fields(r),
                account=r.account,
                attester=r.attester,
                latest=latest,
                counts=latest and bool(r.allowed),
                member=r.joined_at is not None,
            )
        )
    return AttestationList(items=items, page=_page(limit, offset, len(rows), total))
