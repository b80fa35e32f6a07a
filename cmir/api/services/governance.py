"""Proposals with the Governor's state replayed from the mirror (OpenZeppelin rules via
`cmir.store.proposals.state_of`, with CmirGovernor's quorum floor and expiring approvals), quorum
and turnout, decoded actions and the payouts they name, the guardian's cancellations, timeline;
votes; the governed settings."""

from __future__ import annotations

import time
import typing
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select, text, tuple_

from cmir.api.errors import NotFoundError
from cmir.api.schemas.common import AsOf, PageMeta, timestamp
from cmir.api.schemas.governance import (
    Action,
    ActionPayout,
    AllVoteList,
    GovernanceSettings,
    GuardianCancellation,
    GuardianCancellationItem,
    GuardianCancellationList,
    ProposalDetail,
    ProposalItem,
    ProposalList,
    ProposalVoteItem,
    Quorum,
    Support,
    Tally,
    TimelineEntry,
    VoteItem,
    VoteList,
)
from cmir.api.services.context import Context, by_position, cursor_of, escape_like, load_as_of
from cmir.api.services.ess import OPEN_STATES, payout_void, pg_fold
from cmir.api.services.points import now_of
from cmir.api.services.pool import dao_state
from cmir.api.text import fold
from cmir.chain.vocabulary import SUPPORT_NAMES as SUPPORT_WORDS
from cmir.store import (
    Attester,
    EssProject,
    Member,
    ParameterChange,
    Proposal,
    ProposalChange,
    ProposalPayout,
    Vote,
)
from cmir.store.proposals import quorum_of, state_of

P = Proposal.__table__
PP = ProposalPayout.__table__
EP = EssProject.__table__
AT = Attester.__table__
PC = ProposalChange.__table__
V = Vote.__table__
M = Member.__table__
PAR = ParameterChange.__table__
# a vote's stored support (the enum's value) -> the API's word
SUPPORT_NAMES: dict[int, Support] = dict(enumerate(typing.cast(tuple[Support, ...], SUPPORT_WORDS)))
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
    P.c.expires_at,
)


@dataclass(frozen=True)
class Light:
    """What listing and filtering need of a proposal."""

    proposal_id: int
    proposer: str
    state: str
    members: int
    numerator: int
    floor: int
    quorum: int


class Timeline:
    """Members at a timepoint and the quorum numerator and floor in force then, from sorted arrays."""

    def __init__(self, connection: Connection, ctx: Context) -> None:
        rows = connection.execute(
            select(M.c.joined_at, M.c.excluded_at).where(
                M.c.chain_id == ctx.chain_id, M.c.joined_at.is_not(None)
            )
        ).all()
        self.joined = sorted(int(r.joined_at) for r in rows)
        self.excluded = sorted(int(r.excluded_at) for r in rows if r.excluded_at is not None)
        self.numerator_times, self.numerators = self._history(connection, ctx, "quorum_numerator")
        self.floor_times, self.floors = self._history(connection, ctx, "quorum_floor")

    @staticmethod
    def _history(connection: Connection, ctx: Context, parameter: str) -> tuple[list[int], list[int]]:
        changes = connection.execute(
            select(PAR.c.block_time, PAR.c.new_value)
            .where(PAR.c.chain_id == ctx.chain_id, PAR.c.parameter == parameter)
            .order_by(PAR.c.block_number, PAR.c.log_index)
        ).all()
        return [int(r.block_time) for r in changes], [int(r.new_value) for r in changes]

    def members_at(self, timepoint: int) -> int:
        """Membership.getPastTotalSupply(timepoint)."""
        return bisect_right(self.joined, timepoint) - bisect_right(self.excluded, timepoint)

    def numerator_at(self, timepoint: int) -> int:
        """The quorum numerator in force at `timepoint`."""
        i = bisect_right(self.numerator_times, timepoint)
        return self.numerators[i - 1] if i else 0

    def floor_at(self, timepoint: int) -> int:
        """The quorum floor in force at `timepoint`."""
        i = bisect_right(self.floor_times, timepoint)
        return self.floors[i - 1] if i else 0


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
        floor = timeline.floor_at(int(row.vote_start))
        quorum = quorum_of(members, numerator, floor)
        state = state_of(row._mapping, quorum, now)
        lights.append(
            Light(int(row.proposal_id), row.proposer, state.name.lower(), members, numerator, floor, quorum)
        )
    return lights


def lights(connection: Connection, ctx: Context, as_of: AsOf) -> list[Light]:
    """Every proposal's state and quorum, newest first (once per indexed block)."""
    return ctx.cached(as_of, "proposal-states", lambda: _lights(connection, ctx, as_of))


def guardian_cancellation(ctx: Context, row: Any) -> GuardianCancellation | None:
    """The guardian's cancellation of proposal `row`, with its reason (None if it did not)."""
    if row.canceled_by_guardian is None:
        return None
    return GuardianCancellation(
        guardian=row.canceled_by_guardian,
        reason=(row.cancel_reason or "")[:2000],
        time=timestamp(row.canceled_time),
        block_number=row.canceled_block,
        tx_hash=row.canceled_tx,
        explorer_url=ctx.tx_link(row.canceled_tx),
    )


def payouts_of(
    connection: Connection, ctx: Context, states: dict[int, str]
) -> dict[int, dict[int, ActionPayout]]:
    """The fundings and activations of the proposals of `states` (id -> state), by proposal and
    action index, each with the project's wallet version now and whether a wallet change voided
    it (only a proposal that may still be executed is void)."""
    proposal_ids = list(states)
    if not proposal_ids:
        return {}
    rows = connection.execute(
        select(PP, EP.c.wallet_version.label("current_version"), EP.c.payout_wallet.label("current_wallet"))
        .select_from(
            PP.outerjoin(EP, (EP.c.chain_id == PP.c.chain_id) & (EP.c.project_id == PP.c.project_id))
        )
        .where(PP.c.chain_id == ctx.chain_id, PP.c.proposal_id.in_(proposal_ids))
    ).all()
    found: dict[int, dict[int, ActionPayout]] = {}
    for r in rows:
        known = r.current_version is not None
        project = {"wallet_version": r.current_version, "payout_wallet": r.current_wallet}
        open_ = states.get(int(r.proposal_id)) in OPEN_STATES
        found.setdefault(int(r.proposal_id), {})[int(r.action_index)] = ActionPayout(
            project_id=str(r.project_id),
            payout_wallet=r.payout_wallet,
            wallet_version=r.wallet_version,
            amount=None if r.amount is None else ctx.amount(r.amount),
            current_wallet_version=r.current_version,
            void=open_ and (not known or payout_void(r, _Row(project))),
        )
    return found


class _Row:
    """Attribute access to a dict (what `payout_void` reads of a project)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def _item_fields(
    ctx: Context, row: Any, light: Light, payouts: dict[int, ActionPayout] | None = None
) -> dict[str, Any]:
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
        "expires_at": timestamp(row.expires_at),
        "tally": Tally(
            for_votes=str(row.for_votes),
            against_votes=str(row.against_votes),
            abstain_votes=str(row.abstain_votes),
            voters=row.voter_count,
        ),
        "quorum": Quorum(
            members_at_snapshot=light.members,
            quorum_numerator=light.numerator,
            quorum_floor=light.floor,
            required=str(light.quorum),
            counted=str(counted),
            reached=counted >= light.quorum,
            turnout_percent=round(row.voter_count * 100 / light.members, 2) if light.members else None,
        ),
        "guardian_cancellation": guardian_cancellation(ctx, row),
        "void": any(p.void for p in (payouts or {}).values()),
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
    payouts = payouts_of(connection, ctx, {p.proposal_id: p.state for p in page if p.proposal_id in rows})
    return ProposalList(
        items=[
            ProposalItem(**_item_fields(ctx, rows[p.proposal_id], p, payouts.get(p.proposal_id)))
            for p in page
            if p.proposal_id in rows
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


def _actions(row: Any, payouts: dict[int, ActionPayout]) -> list[Action]:
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
                payout=payouts.get(i),
            )
        )
    return actions


def _timeline(ctx: Context, connection: Connection, row: Any, now: int, state: str) -> list[TimelineEntry]:
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
    if state in ("succeeded", "queued", "expired") and row.expires_at is not None:
        steps.append(
            TimelineEntry(
                step="expires",
                time=timestamp(row.expires_at),
                block=None,
                tx_hash=None,
                explorer_url=None,
                done=now > int(row.expires_at),
            )
        )
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
    payouts = payouts_of(connection, ctx, {proposal_id: light.state}).get(proposal_id, {})
    return ProposalDetail(
        **_item_fields(ctx, row, light, payouts),
        description=row.description[:20_000],
        actions=_actions(row, payouts),
        timeline=_timeline(ctx, connection, row, _now(as_of), light.state),
        eta=timestamp(row.eta),
    )


def votes(
    connection: Connection, ctx: Context, proposal_id: int, support: str | None, limit: int, offset: int
) -> VoteList:
    """A page of a proposal's votes, in the order cast."""
    _proposal_row(connection, ctx, proposal_id)
    conditions = [V.c.chain_id == ctx.chain_id, V.c.proposal_id == proposal_id]
    if support is not None:
        conditions.append(V.c.support == SUPPORT_WORDS.index(support))
    total = int(connection.execute(select(func.count()).select_from(V).where(*conditions)).scalar_one())
    rows = connection.execute(
        select(V).where(*conditions).order_by(*by_position(V, newest=False)).limit(limit).offset(offset)
    ).all()
    following = offset + len(rows)
    return VoteList(
        items=[VoteItem(**_vote_fields(ctx, r)) for r in rows],
        page=PageMeta(
            limit=limit, offset=offset, total=total, next_offset=following if following < total else None
        ),
    )


def _vote_fields(ctx: Context, r: Any) -> dict[str, Any]:
    return {
        **ctx.tx_fields(r),
        "voter": r.voter,
        "support": SUPPORT_NAMES.get(r.support, "abstain"),
        "weight": str(r.weight),
        "reason": r.reason[:2000],
        "params": None if r.params is None else r.params[:2000],
    }


def all_votes(
    connection: Connection,
    ctx: Context,
    proposal_id: int | None,
    cursor: tuple[int, int] | None,
    limit: int,
) -> AllVoteList:
    """A page of every vote (or of one proposal's, none if it has none) after `cursor`, in the
    order cast: what an auditor reads in a few requests rather than one per proposal. Keyset
    pages: every vote is read along the primary key (chain, block, log index), so the last page
    costs what the first does (an offset would re-read and re-sort every vote before it)."""
    load_as_of(connection, ctx)
    conditions: list[Any] = [V.c.chain_id == ctx.chain_id]
    if cursor is not None:
        conditions.append(tuple_(V.c.block_number, V.c.log_index) > tuple_(*cursor))
    if proposal_id is not None:  # a proposal's few votes: found by its index, then sorted
        conditions.append(V.c.proposal_id == proposal_id)
        order = by_position(V, newest=False)
    else:
        order = (V.c.block_number.asc(), V.c.log_index.asc())
    rows = connection.execute(select(V).where(*conditions).order_by(*order).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return AllVoteList(
        items=[ProposalVoteItem(**_vote_fields(ctx, r), proposal_id=str(r.proposal_id)) for r in rows],
        limit=limit,
        next_cursor=cursor_of(rows[-1]) if more and rows else None,
    )


def guardian_cancellations(
    connection: Connection, ctx: Context, limit: int, offset: int
) -> GuardianCancellationList:
    """A page of the proposals the guardian cancelled, newest first, with its reasons."""
    load_as_of(connection, ctx)
    condition = (P.c.chain_id == ctx.chain_id) & P.c.canceled_by_guardian.is_not(None)
    total = int(connection.execute(select(func.count()).select_from(P).where(condition)).scalar_one())
    rows = connection.execute(
        select(P)
        .where(condition)
        .order_by(P.c.canceled_block.desc(), P.c.proposal_id)
        .limit(limit)
        .offset(offset)
    ).all()
    items = []
    for row in rows:
        cancellation = guardian_cancellation(ctx, row)
        assert cancellation is not None
        items.append(
            GuardianCancellationItem(
                **cancellation.model_dump(),
                proposal_id=str(row.proposal_id),
                title=(row.description.strip().splitlines() or [""])[0][:200],
                proposer=row.proposer,
            )
        )
    following = offset + len(rows)
    return GuardianCancellationList(
        items=items,
        page=PageMeta(
            limit=limit, offset=offset, total=total, next_offset=following if following < total else None
        ),
    )


def settings(connection: Connection, ctx: Context) -> GovernanceSettings:
    """The Governor's and admission's governed settings at the indexed block."""
    as_of = load_as_of(connection, ctx)
    s = dao_state(connection, ctx)
    now = now_of(as_of)
    attesters = connection.execute(
        select(func.count()).select_from(AT).where(AT.c.chain_id == ctx.chain_id, AT.c.allowed.is_(True))
    ).scalar_one()
    in_probation = connection.execute(
        select(func.count())
        .select_from(M)
        .where(M.c.chain_id == ctx.chain_id, M.c.status == "active", M.c.votes_from > now)
    ).scalar_one()

    def number(value: Any) -> int | None:
        return None if value is None else int(value)

    return GovernanceSettings(
        as_of=as_of,
        voting_delay=number(s.voting_delay),
        voting_period=number(s.voting_period),
        proposal_threshold=None if s.proposal_threshold is None else str(s.proposal_threshold),
        quorum_numerator=number(s.quorum_numerator),
        quorum_floor=number(s.quorum_floor),
        approval_grace_period=number(s.approval_grace_period),
        timelock_min_delay=number(s.timelock_min_delay),
        guardian=s.guardian,
        probation=number(s.probation),
        invitation_refill_period=number(s.invitation_refill_period),
        invitation_cap=number(s.invitation_cap),
        invitation_ttl=number(s.invitation_ttl),
        membership_fee=ctx.amount(s.membership_fee),
        attesters=int(attesters),
        active_members=int(s.active_members),
        members_in_probation=int(in_probation),
    )
