"""Proposals with the Governor's state replayed from the mirror (OpenZeppelin rules via
`indexer.proposals.state_of`), quorum and turnout, decoded actions, timeline; votes."""

from __future__ import annotations

import time
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select, text

from backend.db import fold
from backend.errors import NotFoundError
from backend.schemas.common import AsOf, PageMeta, timestamp
from backend.schemas.governance import (
    Action,
    ProposalDetail,
    ProposalItem,
    ProposalList,
    Quorum,
    Support,
    Tally,
    TimelineEntry,
    VoteItem,
    VoteList,
)
from backend.services.context import Context, by_position, escape_like, load_as_of
from backend.services.ess import pg_fold
from indexer.db import Member, ParameterChange, Proposal, ProposalChange, Vote
from indexer.proposals import QUORUM_DENOMINATOR, state_of

P = Proposal.__table__
PC = ProposalChange.__table__
V = Vote.__table__
M = Member.__table__
PAR = ParameterChange.__table__
SUPPORT = ("against", "for", "abstain")
SUPPORT_NAMES: dict[int, Support] = {0: "against", 1: "for", 2: "abstain"}
LIGHT = (
    P.c.proposal_id,
    P.c.proposer,
    P.c.status,
    P.c.vote_start,
    P.c.vote_end,
    P.c.eta,
    P.c.for_votes,
    P.c.against_votes,
    P.c.abstain_votes,
    P.c.created_block,
)


@dataclass(frozen=True)
class Light:
    """What listing and filtering need of a proposal."""

    proposal_id: int
    proposer: str
    state: str
    members: int
    numerator: int
    quorum: int


class Timeline:
    """Members at a timepoint and the quorum numerator in force then, from sorted arrays."""

    def __init__(self, connection: Connection, ctx: Context) -> None:
        rows = connection.execute(
            select(M.c.joined_at, M.c.excluded_at).where(
                M.c.chain_id == ctx.chain_id, M.c.joined_at.is_not(None)
            )
        ).all()
        self.joined = sorted(int(r.joined_at) for r in rows)
        self.excluded = sorted(int(r.excluded_at) for r in rows if r.excluded_at is not None)
        changes = connection.execute(
            select(PAR.c.block_time, PAR.c.new_value)
            .where(PAR.c.chain_id == ctx.chain_id, PAR.c.parameter == "quorum_numerator")
            .order_by(PAR.c.block_number, PAR.c.log_index)
        ).all()
        self.numerator_times = [int(r.block_time) for r in changes]
        self.numerators = [int(r.new_value) for r in changes]

    def members_at(self, timepoint: int) -> int:
        """Membership.getPastTotalSupply(timepoint)."""
        return bisect_right(self.joined, timepoint) - bisect_right(self.excluded, timepoint)

    def numerator_at(self, timepoint: int) -> int:
        """The quorum numerator in force at `timepoint`."""
        i = bisect_right(self.numerator_times, timepoint)
        return self.numerators[i - 1] if i else 0


def _now(as_of: AsOf) -> int:
    return int(as_of.time.timestamp()) if as_of.time is not None else int(time.time())


def _lights(connection: Connection, ctx: Context, as_of: AsOf) -> list[Light]:
    timeline = Timeline(connection, ctx)
    now = _now(as_of)
    rows = connection.execute(
        select(*LIGHT).where(P.c.chain_id == ctx.chain_id).order_by(P.c.created_block.desc(), P.c.proposal_id)
    ).all()
    lights = []
    for row in rows:
        members = timeline.members_at(int(row.vote_start))
        numerator = timeline.numerator_at(int(row.vote_start))
        quorum = members * numerator // QUORUM_DENOMINATOR
        state = state_of(row._mapping, quorum, now)
        lights.append(
            Light(int(row.proposal_id), row.proposer, state.name.lower(), members, numerator, quorum)
        )
    return lights


def lights(connection: Connection, ctx: Context, as_of: AsOf) -> list[Light]:
    """Every proposal's state and quorum, newest first (once per indexed block)."""
    return ctx.cached(as_of, "proposal-states", lambda: _lights(connection, ctx, as_of))


def _item_fields(ctx: Context, row: Any, light: Light) -> dict[str, Any]:
    counted = int(row.for_votes) + int(row.abstain_votes)
    return {
        "id": str(row.proposal_id),
        "proposer": row.proposer,
        "state": light.state,
        "title": (row.description.strip().splitlines() or [""])[0][:200],
        "created_at": timestamp(row.created_time),
        "created_block": row.created_block,
        "vote_start": timestamp(row.vote_start),
        "vote_end": timestamp(row.vote_end),
        "tally": Tally(
            for_votes=str(row.for_votes),
            against_votes=str(row.against_votes),
            abstain_votes=str(row.abstain_votes),
            voters=row.voter_count,
        ),
        "quorum": Quorum(
            members_at_snapshot=light.members,
            quorum_numerator=light.numerator,
            required=str(light.quorum),
            counted=str(counted),
            reached=counted >= light.quorum,
            turnout_percent=round(row.voter_count * 100 / light.members, 2) if light.members else None,
        ),
        "explorer_url": ctx.tx_link(row.created_tx),
    }


def list_proposals(
    connection: Connection,
    ctx: Context,
    state: str | None,
    proposer: str | None,
    q: str | None,
    limit: int,
    offset: int,
) -> ProposalList:
    """A page of proposals, newest first, filtered by state, proposer and description text."""
    as_of = load_as_of(connection, ctx)
    selected = [
        light
        for light in lights(connection, ctx, as_of)
        if (state is None or light.state == state) and (proposer is None or light.proposer == proposer)
    ]
    if q and q.strip():
        pattern = f"%{escape_like(fold(q.strip()))}%"
        expression = (
            pg_fold("proposals.description")
            if connection.dialect.name == "postgresql"
            else ("cmir_fold(proposals.description)")
        )
        matching = set(
            int(v)
            for v in connection.execute(
                select(P.c.proposal_id).where(
                    P.c.chain_id == ctx.chain_id,
                    text(f"{expression} LIKE :q ESCAPE '\\'").bindparams(q=pattern),
                )
            ).scalars()
        )
        selected = [light for light in selected if light.proposal_id in matching]
    page = selected[offset : offset + limit]
    rows = {
        int(r.proposal_id): r
        for r in connection.execute(
            select(P).where(P.c.chain_id == ctx.chain_id, P.c.proposal_id.in_([p.proposal_id for p in page]))
        )
    }
    following = offset + len(page)
    return ProposalList(
        items=[
            ProposalItem(**_item_fields(ctx, rows[p.proposal_id], p)) for p in page if p.proposal_id in rows
        ],
        page=PageMeta(
            limit=limit,
            offset=offset,
            total=len(selected),
            next_offset=following if following < len(selected) else None,
        ),
    )


def _plain(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return str(value)


def _actions(row: Any) -> list[Action]:
    actions = []
    decoded = row.actions if isinstance(row.actions, list) else []
    for i, target in enumerate(row.targets or []):
        info = decoded[i] if i < len(decoded) and isinstance(decoded[i], dict) else {}
        calldata = row.calldatas[i] if i < len(row.calldatas or []) else "0x"
        value = row.values[i] if i < len(row.values or []) else 0
        args = info.get("args")
        actions.append(
            Action(
                index=i,
                target=str(target),
                value=str(value),
                contract=info.get("contract"),
                function=info.get("function"),
                signature=info.get("signature"),
                decoded=bool(info.get("decoded")),
                args=_plain(args) if isinstance(args, dict) else {},
                calldata=str(calldata)[:2000],
            )
        )
    return actions


def _timeline(ctx: Context, connection: Connection, row: Any, now: int) -> list[TimelineEntry]:
    changes = {
        c.state: c
        for c in connection.execute(
            select(PC)
            .where(PC.c.chain_id == ctx.chain_id, PC.c.proposal_id == row.proposal_id)
            .order_by(*by_position(PC, newest=False))
        )
    }

    def entry(step: str, when: int | None, change: Any = None) -> TimelineEntry:
        return TimelineEntry(
            step=step,  # type: ignore[arg-type]
            time=timestamp(when),
            block=change.block_number if change is not None else None,
            tx_hash=change.tx_hash if change is not None else None,
            explorer_url=ctx.tx_link(change.tx_hash) if change is not None else None,
            done=change is not None or (when is not None and when <= now),
        )

    steps = [
        entry("created", row.created_time, changes.get("created")),
        entry("voting_starts", row.vote_start),
        entry("voting_ends", row.vote_end),
    ]
    if "queued" in changes:
        steps.append(entry("queued", row.queued_time, changes["queued"]))
        steps.append(entry("executable", row.eta))
    if "executed" in changes:
        steps.append(entry("executed", row.executed_time, changes["executed"]))
    if "canceled" in changes:
        steps.append(entry("canceled", row.canceled_time, changes["canceled"]))
    return steps


def _proposal_row(connection: Connection, ctx: Context, proposal_id: int) -> Any:
    row = connection.execute(
        select(P).where(P.c.chain_id == ctx.chain_id, P.c.proposal_id == proposal_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no proposal {proposal_id}")
    return row


def proposal_detail(connection: Connection, ctx: Context, proposal_id: int) -> ProposalDetail:
    """One proposal: state, tallies, quorum and turnout, description, decoded actions, timeline."""
    as_of = load_as_of(connection, ctx)
    row = _proposal_row(connection, ctx, proposal_id)
    light = next((p for p in lights(connection, ctx, as_of) if p.proposal_id == proposal_id), None)
    if light is None:  # indexed after the cached states: recompute for this block
        raise NotFoundError(f"no proposal {proposal_id}")
    return ProposalDetail(
        **_item_fields(ctx, row, light),
        description=row.description[:20_000],
        actions=_actions(row),
        timeline=_timeline(ctx, connection, row, _now(as_of)),
        eta=timestamp(row.eta),
    )


def votes(
    connection: Connection, ctx: Context, proposal_id: int, support: str | None, limit: int, offset: int
) -> VoteList:
    """A page of a proposal's votes, in the order cast."""
    _proposal_row(connection, ctx, proposal_id)
    conditions = [V.c.chain_id == ctx.chain_id, V.c.proposal_id == proposal_id]
    if support is not None:
        conditions.append(V.c.support == SUPPORT.index(support))
    total = int(connection.execute(select(func.count()).select_from(V).where(*conditions)).scalar_one())
    rows = connection.execute(
        select(V).where(*conditions).order_by(*by_position(V, newest=False)).limit(limit).offset(offset)
    ).all()
    following = offset + len(rows)
    return VoteList(
        items=[
            VoteItem(
                **ctx.tx_fields(r),
                voter=r.voter,
                support=SUPPORT_NAMES.get(r.support, "abstain"),
                weight=str(r.weight),
                reason=r.reason[:2000],
                params=None if r.params is None else r.params[:2000],
            )
            for r in rows
        ],
        page=PageMeta(
            limit=limit, offset=offset, total=total, next_offset=following if following < total else None
        ),
    )
