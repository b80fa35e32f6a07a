"""A proposal's Governor state at a given time, from the mirrored events alone.

OpenZeppelin 5.4 ``Governor.state`` with ``GovernorCountingSimple``, ``GovernorVotesQuorumFraction``
and ``GovernorTimelockControl``, over the membership's timestamp clock (1 vote per member past its
probation), as ``CmirGovernor`` extends it: the quorum has an absolute floor (at most every
member), and a succeeded or queued proposal is Expired once the block time passes its
``expires_at`` (``proposalExpiresAt``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from cmir.chain.vocabulary import ProposalState
from cmir.store import Member, ParameterChange, Proposal

QUORUM_DENOMINATOR = 100


def members_at(connection: Connection, chain_id: int, timepoint: int) -> int:
    """Active members at `timepoint` (Membership.getPastTotalSupply): joined at or before it,
    not excluded at or before it."""
    m = Member.__table__.c
    query = select(func.count()).where(
        m.chain_id == chain_id,
        m.joined_at.is_not(None),
        m.joined_at <= timepoint,
        or_(m.excluded_at.is_(None), m.excluded_at > timepoint),
    )
    return int(connection.execute(query).scalar_one())


def setting_at(connection: Connection, chain_id: int, parameter: str, timepoint: int) -> int:
    """A checkpointed Governor setting (``quorum_numerator``, ``quorum_floor``,
    ``approval_grace_period``) in force at `timepoint`: the last change at or before it."""
    p = ParameterChange.__table__.c
    query = (
        select(p.new_value)
        .where(and_(p.chain_id == chain_id, p.parameter == parameter, p.block_time <= timepoint))
        .order_by(p.block_number.desc(), p.log_index.desc())
        .limit(1)
    )
    value = connection.execute(query).scalar()
    return int(value) if value is not None else 0


def quorum_numerator_at(connection: Connection, chain_id: int, timepoint: int) -> int:
    """The Governor's quorum numerator in force at `timepoint` (its checkpointed history)."""
    return setting_at(connection, chain_id, "quorum_numerator", timepoint)


def quorum_of(members: int, numerator: int, floor: int) -> int:
    """CmirGovernor.quorum: the larger of the fraction of the members and the floor, the floor
    being at most every member."""
    return max(members * numerator // QUORUM_DENOMINATOR, min(floor, members))


def quorum_at(connection: Connection, chain_id: int, timepoint: int) -> int:
    """Votes (For + Abstain) a proposal with snapshot `timepoint` needs."""
    members = members_at(connection, chain_id, timepoint)
    numerator = quorum_numerator_at(connection, chain_id, timepoint)
    return quorum_of(members, numerator, setting_at(connection, chain_id, "quorum_floor", timepoint))


def state_of(row: Any, quorum: int, now: int) -> ProposalState:
    """The state of proposal `row` (a `Proposal` row or mapping) at block time `now`."""

    def get(name: str) -> Any:
        return row[name] if isinstance(row, Mapping) else getattr(row, name)

    status = get("status")
    if status == "executed":
        return ProposalState.EXECUTED
    if status == "canceled":
        return ProposalState.CANCELED
    if int(get("vote_start")) >= now:
        return ProposalState.PENDING
    if int(get("vote_end")) >= now:
        return ProposalState.ACTIVE
    for_votes, against, abstain = int(get("for_votes")), int(get("against_votes")), int(get("abstain_votes"))
    if quorum > for_votes + abstain or for_votes <= against:
        return ProposalState.DEFEATED
    expires_at = get("expires_at")
    if expires_at is not None and now > int(expires_at):
        return ProposalState.EXPIRED
    if not get("eta"):
        return ProposalState.SUCCEEDED
    return ProposalState.QUEUED


def proposal_state(connection: Connection, chain_id: int, proposal_id: int, now: int) -> ProposalState:
    """The Governor's ``state(proposal_id)`` at block time `now`, from the mirror."""
    p = Proposal.__table__.c
    row = connection.execute(
        select(Proposal.__table__).where(p.chain_id == chain_id, p.proposal_id == proposal_id)
    ).one()
    return state_of(row._mapping, quorum_at(connection, chain_id, int(row.vote_start)), now)
