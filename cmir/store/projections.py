"""Projections: tables derived only from the raw event log.

Two kinds. *Event rows* (relations, inflows, bucket snapshots, claims, fundings, spends, votes,
changes of parameters, projects and proposals) are keyed by the event that made them
``(chain_id, block_number, log_index)`` and carry its transaction hash: a rollback deletes those
above a block.
*Aggregates* (members, invitations, ESS projects, proposals, attesters, the DAO state) are updated
in place;
the indexer keeps their images before each batch near the head (``undo_images``) to roll them back.
Amounts are exact integers (`Uint256`); times are unix seconds, as on chain.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cmir.chain.vocabulary import MEMBER_KINDS as MEMBER_KINDS  # re-exported by cmir.store
from cmir.store.base import Base
from cmir.store.types import Json, Uint256

#: The `info` of a DAO-state column that is one of the pool's cumulative figures (copied into each
#: bucket snapshot): `cmir.store.columns.FIGURES` lists them.
FIGURE = {"figure": True}


class EventRow:
    """Columns of a row made by one event, keyed by the event's position in the chain: a log
    index is unique within a block. The key grows with the chain, so inserts append to the
    index, and a rollback deletes a key range (blocks above N)."""

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, sort_order=-5)
    block_number: Mapped[int] = mapped_column(BigInteger, primary_key=True, sort_order=-4)
    log_index: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-3)
    tx_hash: Mapped[str] = mapped_column(String(66), sort_order=-2)
    block_time: Mapped[int] = mapped_column(BigInteger, sort_order=-1)


class Relation(EventRow, Base):
    """A paid relation: an edge of the member graph (RelationPaid)."""

    __tablename__ = "relations"
    __table_args__ = (
        # a member's relations newest first (keyset pages), each side
        Index("ix_relations_payer", "chain_id", "payer", "block_number", "log_index"),
        Index("ix_relations_counterparty", "chain_id", "counterparty", "block_number", "log_index"),
        # the graph's edges among a set of members, read from the index alone
        Index("ix_relations_pair", "chain_id", "payer", "counterparty", "amount"),
    )

    payer: Mapped[str] = mapped_column(String(42))
    counterparty: Mapped[str] = mapped_column(String(42))
    relation_ref: Mapped[str] = mapped_column(String(66))
    amount: Mapped[int] = mapped_column(Uint256)
    to_members: Mapped[int] = mapped_column(Uint256)
    to_ess: Mapped[int] = mapped_column(Uint256)
    to_collective: Mapped[int] = mapped_column(Uint256)
    payer_sponsor: Mapped[str | None] = mapped_column(String(42))
    counterparty_sponsor: Mapped[str | None] = mapped_column(String(42))
    payer_points: Mapped[int] = mapped_column(Uint256)
    counterparty_points: Mapped[int] = mapped_column(Uint256)
    payer_sponsor_points: Mapped[int] = mapped_column(Uint256)
    counterparty_sponsor_points: Mapped[int] = mapped_column(Uint256)
    reward_per_point: Mapped[int] = mapped_column(Uint256, doc="accumulator after the split")
    epoch: Mapped[int] = mapped_column(BigInteger, doc="the points' pending epoch (the relation's)")
    members_to_ess: Mapped[int] = mapped_column(
        Uint256, doc="of to_ess, what the members' share could not give (no matured points, cap, dust)"
    )


class Inflow(EventRow, Base):
    """Money into the pool: kind relation, contribution, membership_fee or surplus.

    ``to_members`` is what matured points received; ``members_to_ess`` is the part of ``to_ess``
    that was the members' share (``to_ess - ceil(amount * ess_bps / 10,000)``; 0 for a surplus,
    booked to ESS whole). The points are the pool's right after the booking, in ``epoch``.
    The accumulator an ended epoch's pending points matured at is ``reward_per_point`` of that
    epoch's last inflow (`cmir.store.epochs.matured_at`)."""

    __tablename__ = "inflows"
    __table_args__ = (Index("ix_inflows_epoch", "chain_id", "epoch", "block_number", "log_index"),)

    kind: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(42), doc="payer, contributor, new member or caller")
    amount: Mapped[int] = mapped_column(Uint256)
    to_members: Mapped[int] = mapped_column(Uint256)
    to_ess: Mapped[int] = mapped_column(Uint256)
    to_collective: Mapped[int] = mapped_column(Uint256)
    reward_per_point: Mapped[int] = mapped_column(Uint256)
    reward_per_point_increase: Mapped[int] = mapped_column(Uint256)
    matured_points_after: Mapped[int] = mapped_column(Uint256)
    pending_points_after: Mapped[int] = mapped_column(Uint256)
    members_to_ess: Mapped[int] = mapped_column(Uint256)
    epoch: Mapped[int] = mapped_column(BigInteger)
    memo: Mapped[str | None] = mapped_column(Text)


class BucketSnapshot(EventRow, Base):
    """The three buckets and the pool's totals right after an inflow or an outflow. The points
    are as the pool's ``totals()`` gives them at that block: in ``epoch`` (the block's), the last
    booking's pending points counted matured once their epoch has ended."""

    __tablename__ = "bucket_snapshots"

    cause: Mapped[str] = mapped_column(String(32), doc="the event name")
    total_received: Mapped[int] = mapped_column(Uint256)
    members_received: Mapped[int] = mapped_column(Uint256)
    ess_received: Mapped[int] = mapped_column(Uint256)
    collective_received: Mapped[int] = mapped_column(Uint256)
    rewards_claimed: Mapped[int] = mapped_column(Uint256)
    ess_disbursed: Mapped[int] = mapped_column(Uint256)
    collective_spent: Mapped[int] = mapped_column(Uint256)
    members_available: Mapped[int] = mapped_column(Uint256)
    ess_available: Mapped[int] = mapped_column(Uint256)
    collective_available: Mapped[int] = mapped_column(Uint256)
    matured_points: Mapped[int] = mapped_column(Uint256)
    pending_points: Mapped[int] = mapped_column(Uint256)
    reward_per_point: Mapped[int] = mapped_column(Uint256)
    epoch: Mapped[int] = mapped_column(BigInteger)


class Claim(EventRow, Base):
    """A member's claim of its rewards (RewardsClaimed)."""

    __tablename__ = "claims"
    __table_args__ = (Index("ix_claims_member", "chain_id", "member", "block_number", "log_index"),)

    member: Mapped[str] = mapped_column(String(42))
    amount: Mapped[int] = mapped_column(Uint256)
    reward_per_point: Mapped[int] = mapped_column(Uint256)


class RewardFreeze(EventRow, Base):
    """An excluded member's points removed, its accrued rewards kept (MemberRewardsFrozen)."""

    __tablename__ = "reward_freezes"
    __table_args__ = (Index("ix_reward_freezes_member", "chain_id", "member", "block_number"),)

    member: Mapped[str] = mapped_column(String(42))
    matured_removed: Mapped[int] = mapped_column(Uint256)
    pending_removed: Mapped[int] = mapped_column(Uint256)
    accrued: Mapped[int] = mapped_column(Uint256)
    reward_per_point: Mapped[int] = mapped_column(Uint256)


class EssFunding(EventRow, Base):
    """ESS money paid to a project by governance (EssProjectFunded)."""

    __tablename__ = "ess_fundings"
    __table_args__ = (
        Index("ix_ess_fundings_project", "chain_id", "project_id", "block_number", "log_index"),
    )

    project_id: Mapped[int] = mapped_column(Uint256)
    payout_wallet: Mapped[str] = mapped_column(String(42))
    amount: Mapped[int] = mapped_column(Uint256)
    proposal_id: Mapped[int | None] = mapped_column(
        Uint256, doc="the proposal executed in the same transaction"
    )


class CollectiveSpend(EventRow, Base):
    """A spend of the collective fund by the steward (CollectiveSpent)."""

    __tablename__ = "collective_spends"

    steward: Mapped[str] = mapped_column(String(42))
    recipient: Mapped[str] = mapped_column(String(42))
    amount: Mapped[int] = mapped_column(Uint256)
    memo: Mapped[str] = mapped_column(Text)


class EssProjectChange(EventRow, Base):
    """A registration, update or status change of an ESS project."""

    __tablename__ = "ess_project_changes"
    __table_args__ = (Index("ix_ess_project_changes_project", "chain_id", "project_id", "block_number"),)

    project_id: Mapped[int] = mapped_column(Uint256)
    kind: Mapped[str] = mapped_column(String(16), doc="registered, updated or status")
    owner: Mapped[str | None] = mapped_column(String(42))
    payout_wallet: Mapped[str | None] = mapped_column(String(42))
    metadata_uri: Mapped[str | None] = mapped_column(Text)
    metadata_hash: Mapped[str | None] = mapped_column(String(66))
    active: Mapped[bool | None] = mapped_column(Boolean)
    wallet_version: Mapped[int | None] = mapped_column(
        BigInteger, doc="the project's wallet version after a registration or an update"
    )


class ParameterChange(EventRow, Base):
    """A governed setting changed: shares, weights, fees, steward, the steward's budget, the
    membership rules, attesters, epoch length, epoch reward cap, parties' minimum share, governor
    settings (quorum floor, approval grace period, guardian), timelock delay and roles.
    ``old_value``/``new_value`` are the event's values, except for ``epoch_length``: each is the
    whole clock ``{"length", "origin_epoch", "origin"}`` (old: null at deployment). The current
    epoch follows from the latest such row (`cmir.store.epochs.Clock`)."""

    __tablename__ = "parameter_changes"
    __table_args__ = (Index("ix_parameter_changes_parameter", "parameter"),)

    contract: Mapped[str] = mapped_column(String(32))
    event: Mapped[str] = mapped_column(String(64))
    parameter: Mapped[str] = mapped_column(String(64))
    old_value: Mapped[Any] = mapped_column(Json, nullable=True)
    new_value: Mapped[Any] = mapped_column(Json, nullable=True)
    proposal_id: Mapped[int | None] = mapped_column(Uint256)


class ProposalChange(EventRow, Base):
    """A proposal's recorded state change: created, queued, executed or canceled."""

    __tablename__ = "proposal_changes"
    __table_args__ = (Index("ix_proposal_changes_proposal", "chain_id", "proposal_id", "block_number"),)

    proposal_id: Mapped[int] = mapped_column(Uint256)
    state: Mapped[str] = mapped_column(String(16))
    eta: Mapped[int | None] = mapped_column(BigInteger)


class Vote(EventRow, Base):
    """A vote (VoteCast or VoteCastWithParams); support 0 against, 1 for, 2 abstain."""

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("chain_id", "proposal_id", "voter"),)

    proposal_id: Mapped[int] = mapped_column(Uint256)
    voter: Mapped[str] = mapped_column(String(42))
    support: Mapped[int] = mapped_column(Integer)
    weight: Mapped[int] = mapped_column(Uint256)
    reason: Mapped[str] = mapped_column(Text)
    params: Mapped[str | None] = mapped_column(Text)


class Invitation(EventRow, Base):
    """An invitation (keyed by its MemberInvited event) and how it ended. The chain keeps one per
    (invitee, sponsor): ``pending`` rows are exactly the records ``invitationOf(invitee, sponsor)``
    returns (live until ``expires_at``, then expired); ``renewed`` is an expired one its sponsor
    replaced by a new invitation."""

    __tablename__ = "invitations"
    __table_args__ = (
        Index("ix_invitations_invitee", "chain_id", "invitee", "status"),
        Index("ix_invitations_sponsor", "chain_id", "sponsor", "status"),
    )

    invitee: Mapped[str] = mapped_column(String(42))
    sponsor: Mapped[str] = mapped_column(String(42))
    kind: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), doc="pending, accepted, revoked or renewed")
    expires_at: Mapped[int | None] = mapped_column(
        BigInteger, doc="cannot be accepted from then on (unix s); null for invitations that never expired"
    )
    closed_block: Mapped[int | None] = mapped_column(BigInteger)
    closed_time: Mapped[int | None] = mapped_column(BigInteger)
    closed_tx: Mapped[str | None] = mapped_column(String(66))
    revoked_by: Mapped[str | None] = mapped_column(String(42), doc="the sponsor, or the governance")


class Member(Base):
    """A member and its reward position as of its last event, as the pool stores it:
    ``matured_points`` earn from ``reward_per_point_paid`` on; ``pending_points`` were earned in
    ``pending_epoch`` and mature at ``matures_at`` (both null when nothing is pending). Once
    ``matures_at <= now`` the pending points count as matured (the pool's ``memberPoints``), and
    earn from the accumulator their epoch ended at. Claimable now: `cmir.store.epochs.member_now`.

    ``votes_from`` is the end of the member's probation (memberOf().votesFrom): its vote counts,
    and it may invite and propose, from then on. ``invitation_anchor`` replays the contract's
    private anchor of the invitation allowance: one invitation accrues per refill period since it,
    up to the cap (`cmir.store.invitations.credits` gives ``invitationsAvailable``)."""

    __tablename__ = "members"
    __table_args__ = (Index("ix_members_sponsor", "chain_id", "sponsor", "joined_block"),)

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    kind: Mapped[int | None] = mapped_column(Integer, doc="0 Pilote, 1 Abeille, 2 EssStructure")
    sponsor: Mapped[str | None] = mapped_column(String(42))
    status: Mapped[str] = mapped_column(String(16), doc="active or excluded")
    joined_at: Mapped[int | None] = mapped_column(BigInteger)
    joined_block: Mapped[int | None] = mapped_column(BigInteger)
    by_governance: Mapped[bool | None] = mapped_column(Boolean)
    fee_paid: Mapped[int] = mapped_column(Uint256)
    excluded_at: Mapped[int | None] = mapped_column(BigInteger)
    excluded_block: Mapped[int | None] = mapped_column(BigInteger)
    exclusion_reason: Mapped[str | None] = mapped_column(Text)
    matured_points: Mapped[int] = mapped_column(Uint256)
    pending_points: Mapped[int] = mapped_column(Uint256)
    pending_epoch: Mapped[int | None] = mapped_column(BigInteger)
    matures_at: Mapped[int | None] = mapped_column(BigInteger, doc="end of pending_epoch (unix s)")
    accrued: Mapped[int] = mapped_column(Uint256, doc="settled, unclaimed rewards")
    reward_per_point_paid: Mapped[int] = mapped_column(Uint256)
    claimed: Mapped[int] = mapped_column(Uint256)
    invitations_sent: Mapped[int] = mapped_column(Integer, doc="as memberOf().invitationsSent")
    votes_from: Mapped[int | None] = mapped_column(BigInteger, doc="end of probation (unix s)")
    invitation_anchor: Mapped[int | None] = mapped_column(BigInteger, doc="the allowance's anchor (unix s)")
    relations_paid: Mapped[int] = mapped_column(Integer)
    relations_received: Mapped[int] = mapped_column(Integer)
    amount_paid: Mapped[int] = mapped_column(Uint256)


class EssProject(Base):
    """A registered ESS project with its checked off-chain metadata. ``wallet_version`` counts
    its payout wallets (1 at registration): fundings and activations name it, and a wallet change
    voids those pending. ``inactive_reason`` says why an inactive project is: ``registered`` (a
    member's project waits for governance to activate it), ``wallet_changed`` (its new wallet
    waits for a vote) or ``deactivated`` (by governance); null while active."""

    __tablename__ = "ess_projects"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    project_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    owner: Mapped[str] = mapped_column(String(42), index=True)
    payout_wallet: Mapped[str] = mapped_column(String(42))
    metadata_uri: Mapped[str] = mapped_column(Text)
    metadata_hash: Mapped[str] = mapped_column(String(66))
    active: Mapped[bool] = mapped_column(Boolean)
    wallet_version: Mapped[int] = mapped_column(BigInteger)
    inactive_reason: Mapped[str | None] = mapped_column(String(16))
    registered_block: Mapped[int] = mapped_column(BigInteger)
    registered_time: Mapped[int] = mapped_column(BigInteger)
    updated_block: Mapped[int] = mapped_column(BigInteger)
    updated_time: Mapped[int] = mapped_column(BigInteger)
    funded_total: Mapped[int] = mapped_column(Uint256)
    funding_count: Mapped[int] = mapped_column(Integer)
    metadata_status: Mapped[str] = mapped_column(
        String(16), doc="pending, ok, mismatch, unreachable, invalid or unsupported"
    )
    metadata_doc: Mapped[dict[str, Any] | None] = mapped_column(Json, nullable=True)
    metadata_error: Mapped[str | None] = mapped_column(Text)
    metadata_checked_at: Mapped[int | None] = mapped_column(BigInteger)


class Proposal(Base):
    """A governance proposal, its decoded actions, tallies and recorded state changes.
    The Governor's state at a time follows from these (see `cmir.store.proposals.proposal_state`).
    ``approval_grace`` is the grace period in force at the proposal's snapshot and
    ``expires_at`` the Governor's ``proposalExpiresAt``: (eta, else the deadline) + that grace; a
    succeeded or queued proposal is Expired once the block time passes it. A cancellation by the
    guardian names it and gives its reason."""

    __tablename__ = "proposals"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(Uint256, primary_key=True)
    proposer: Mapped[str] = mapped_column(String(42), index=True)
    targets: Mapped[list[str]] = mapped_column(Json)
    values: Mapped[list[int]] = mapped_column(Json)
    signatures: Mapped[list[str]] = mapped_column(Json)
    calldatas: Mapped[list[str]] = mapped_column(Json)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(Json, doc="calls decoded with our ABIs")
    description: Mapped[str] = mapped_column(Text)
    description_hash: Mapped[str] = mapped_column(String(66))
    vote_start: Mapped[int] = mapped_column(BigInteger, doc="snapshot timepoint (seconds)")
    vote_end: Mapped[int] = mapped_column(BigInteger, doc="deadline timepoint (seconds)")
    status: Mapped[str] = mapped_column(
        String(16), doc="last recorded change: created, queued, executed, canceled"
    )
    eta: Mapped[int | None] = mapped_column(BigInteger)
    timelock_operation: Mapped[str | None] = mapped_column(
        String(66), index=True, doc="timelock operation id"
    )
    created_block: Mapped[int] = mapped_column(BigInteger)
    created_time: Mapped[int] = mapped_column(BigInteger)
    created_tx: Mapped[str] = mapped_column(String(66))
    queued_block: Mapped[int | None] = mapped_column(BigInteger)
    queued_time: Mapped[int | None] = mapped_column(BigInteger)
    executed_block: Mapped[int | None] = mapped_column(BigInteger)
    executed_time: Mapped[int | None] = mapped_column(BigInteger)
    executed_tx: Mapped[str | None] = mapped_column(String(66))
    canceled_block: Mapped[int | None] = mapped_column(BigInteger)
    canceled_time: Mapped[int | None] = mapped_column(BigInteger)
    canceled_tx: Mapped[str | None] = mapped_column(String(66))
    canceled_by_guardian: Mapped[str | None] = mapped_column(String(42), doc="the guardian that cancelled it")
    cancel_reason: Mapped[str | None] = mapped_column(Text, doc="the guardian's reason")
    approval_grace: Mapped[int | None] = mapped_column(BigInteger, doc="seconds, at the snapshot")
    expires_at: Mapped[int | None] = mapped_column(BigInteger, doc="proposalExpiresAt (unix s)")
    for_votes: Mapped[int] = mapped_column(Uint256)
    against_votes: Mapped[int] = mapped_column(Uint256)
    abstain_votes: Mapped[int] = mapped_column(Uint256)
    voter_count: Mapped[int] = mapped_column(Integer)


class DaoState(Base):
    """The pool's totals, accumulator and governed settings, as the events leave them.

    Points as stored by the pool: ``pending_points`` were earned in ``points_epoch``, the epoch
    of the last booking; once it has ended they count as matured (``totals()`` shows them so).
    ``total_points`` is their sum; ``undistributed_rewards`` stays 0 (nothing carries over any
    more: what members cannot receive goes to ESS). The epoch clock is the last
    ``EpochLengthChanged``: epoch ``epoch_origin_epoch`` starts at ``epoch_origin`` and each lasts
    ``epoch_length`` seconds (`cmir.store.epochs.Clock`).

    The steward's budget: at most ``collective_budget`` per ``collective_budget_period`` seconds;
    ``budget_spent`` was spent in the period that started at ``budget_period_start`` (a period
    starts with the first spending after the previous one ended; the pool's
    ``collectiveBudget()`` shows nothing spent once it has ended)."""

    __tablename__ = "dao_state"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    total_received: Mapped[int] = mapped_column(Uint256, info=FIGURE)
    members_received: Mapped[int] = mapped_column(Uint256, info=FIGURE)
    ess_received: Mapped[int] = mapped_column(Uint256, info=FIGURE)
    collective_received: Mapped[int] = mapped_column(Uint256, info=FIGURE)
    rewards_claimed: Mapped[int] = mapped_column(Uint256, info=FIGURE)
    ess_disbursed: Mapped[int] = mapped_column(Uint256, info=FIGURE)
    collective_spent: Mapped[int] = mapped_column(Uint256, info=FIGURE)
    undistributed_rewards: Mapped[int] = mapped_column(Uint256)
    total_points: Mapped[int] = mapped_column(Uint256)
    reward_per_point: Mapped[int] = mapped_column(Uint256)
    matured_points: Mapped[int] = mapped_column(Uint256)
    pending_points: Mapped[int] = mapped_column(Uint256)
    points_epoch: Mapped[int] = mapped_column(BigInteger, doc="epoch of the last booking")
    epoch_start_reward_per_point: Mapped[int] = mapped_column(
        Uint256, doc="the accumulator at the first booking of points_epoch (the reward cap's base)"
    )
    epoch_length: Mapped[int | None] = mapped_column(BigInteger)
    epoch_origin: Mapped[int | None] = mapped_column(BigInteger)
    epoch_origin_epoch: Mapped[int | None] = mapped_column(BigInteger)
    epoch_reward_cap_bps: Mapped[int | None] = mapped_column(Integer)
    parties_min_share_bps: Mapped[int | None] = mapped_column(Integer)
    members_bps: Mapped[int | None] = mapped_column(Integer)
    ess_bps: Mapped[int | None] = mapped_column(Integer)
    collective_bps: Mapped[int | None] = mapped_column(Integer)
    payer_bps: Mapped[int | None] = mapped_column(Integer)
    counterparty_bps: Mapped[int | None] = mapped_column(Integer)
    payer_sponsor_bps: Mapped[int | None] = mapped_column(Integer)
    counterparty_sponsor_bps: Mapped[int | None] = mapped_column(Integer)
    min_relation_fee: Mapped[int | None] = mapped_column(Uint256)
    steward: Mapped[str | None] = mapped_column(String(42))
    collective_budget: Mapped[int | None] = mapped_column(Uint256)
    collective_budget_period: Mapped[int | None] = mapped_column(BigInteger)
    budget_period_start: Mapped[int | None] = mapped_column(BigInteger)
    budget_spent: Mapped[int] = mapped_column(Uint256)
    membership_fee: Mapped[int] = mapped_column(Uint256)
    probation: Mapped[int | None] = mapped_column(BigInteger)
    invitation_refill_period: Mapped[int | None] = mapped_column(BigInteger)
    invitation_cap: Mapped[int | None] = mapped_column(Integer)
    invitation_ttl: Mapped[int | None] = mapped_column(BigInteger)
    pool: Mapped[str | None] = mapped_column(String(42))
    active_members: Mapped[int] = mapped_column(Integer)
    members_total: Mapped[int] = mapped_column(Integer)
    voting_delay: Mapped[int | None] = mapped_column(BigInteger)
    voting_period: Mapped[int | None] = mapped_column(BigInteger)
    proposal_threshold: Mapped[int | None] = mapped_column(Uint256)
    quorum_numerator: Mapped[int | None] = mapped_column(Uint256)
    quorum_floor: Mapped[int | None] = mapped_column(Uint256)
    approval_grace_period: Mapped[int | None] = mapped_column(BigInteger)
    guardian: Mapped[str | None] = mapped_column(String(42))
    timelock: Mapped[str | None] = mapped_column(String(42))
    timelock_min_delay: Mapped[int | None] = mapped_column(Uint256)
    relation_count: Mapped[int] = mapped_column(Integer)
    inflow_count: Mapped[int] = mapped_column(Integer)
    accumulator_mismatches: Mapped[int] = mapped_column(Integer, doc="0 unless the replayed math diverged")


class Attestation(EventRow, Base):
    """An attester attested that an account is an ESS structure (EssStructureAttested). The
    chain keeps the latest per account (``attestationOf``); it counts while its attester is one."""

    __tablename__ = "attestations"
    __table_args__ = (Index("ix_attestations_account", "chain_id", "account", "block_number", "log_index"),)

    account: Mapped[str] = mapped_column(String(42))
    attester: Mapped[str] = mapped_column(String(42))


class ProposalPayout(EventRow, Base):
    """A proposal's action naming a project's payout wallet version, decoded from its calldata
    when the proposal was created (keyed by the ProposalCreated event and the action's index):
    ``fundEssProject(projectId, payoutWallet, walletVersion, amount)`` or
    ``activateProject(projectId, walletVersion)``. A later wallet change voids it."""

    __tablename__ = "proposal_payouts"
    __table_args__ = (
        Index("ix_proposal_payouts_project", "chain_id", "project_id", "block_number"),
        Index("ix_proposal_payouts_proposal", "chain_id", "proposal_id"),
    )

    action_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(Uint256)
    project_id: Mapped[int] = mapped_column(Uint256)
    function: Mapped[str] = mapped_column(String(32), doc="fundEssProject or activateProject")
    payout_wallet: Mapped[str | None] = mapped_column(String(42), doc="null for an activation")
    wallet_version: Mapped[int] = mapped_column(BigInteger)
    amount: Mapped[int | None] = mapped_column(Uint256, doc="null for an activation")


class Attester(Base):
    """An account governance made an attester of ESS structures (AttesterChanged), and whether
    it still is one."""

    __tablename__ = "attesters"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    allowed: Mapped[bool] = mapped_column(Boolean)
    changed_block: Mapped[int] = mapped_column(BigInteger)
    changed_time: Mapped[int] = mapped_column(BigInteger)
    attestations: Mapped[int] = mapped_column(Integer, doc="accounts it attested")
