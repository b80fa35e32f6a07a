"""Initial schema of the CMIR mirror.

Revision ID: 0001
Revises:
Create Date: 2026-11-22

Every table of `cmir.store` as first released: the raw event log, indexed blocks, the
checkpoint, batches and undo images, and the projections. Types come from `cmir.store.types`
so the schema is the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cmir.store.types import BigId, Json, Uint256

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "bucket_snapshots",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("cause", sa.String(length=32), nullable=False),
        sa.Column("total_received", Uint256(), nullable=False),
        sa.Column("members_received", Uint256(), nullable=False),
        sa.Column("ess_received", Uint256(), nullable=False),
        sa.Column("collective_received", Uint256(), nullable=False),
        sa.Column("rewards_claimed", Uint256(), nullable=False),
        sa.Column("ess_disbursed", Uint256(), nullable=False),
        sa.Column("collective_spent", Uint256(), nullable=False),
        sa.Column("members_available", Uint256(), nullable=False),
        sa.Column("ess_available", Uint256(), nullable=False),
        sa.Column("collective_available", Uint256(), nullable=False),
        sa.Column("undistributed_rewards", Uint256(), nullable=False),
        sa.Column("total_points", Uint256(), nullable=False),
        sa.Column("reward_per_point", Uint256(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index", name=op.f("pk_bucket_snapshots")),
    )
    op.create_table(
        "checkpoints",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("network", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("deployment_block", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=True),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", name=op.f("pk_checkpoints")),
    )
    op.create_table(
        "claims",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("member", sa.String(length=42), nullable=False),
        sa.Column("amount", Uint256(), nullable=False),
        sa.Column("reward_per_point", Uint256(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index", name=op.f("pk_claims")),
    )
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.create_index("ix_claims_member", ["member"], unique=False)

    op.create_table(
        "collective_spends",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("steward", sa.String(length=42), nullable=False),
        sa.Column("recipient", sa.String(length=42), nullable=False),
        sa.Column("amount", Uint256(), nullable=False),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index", name=op.f("pk_collective_spends")),
    )
    op.create_table(
        "dao_state",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("total_received", Uint256(), nullable=False),
        sa.Column("members_received", Uint256(), nullable=False),
        sa.Column("ess_received", Uint256(), nullable=False),
        sa.Column("collective_received", Uint256(), nullable=False),
        sa.Column("rewards_claimed", Uint256(), nullable=False),
        sa.Column("ess_disbursed", Uint256(), nullable=False),
        sa.Column("collective_spent", Uint256(), nullable=False),
        sa.Column("undistributed_rewards", Uint256(), nullable=False),
        sa.Column("total_points", Uint256(), nullable=False),
        sa.Column("reward_per_point", Uint256(), nullable=False),
        sa.Column("members_bps", sa.Integer(), nullable=True),
        sa.Column("ess_bps", sa.Integer(), nullable=True),
        sa.Column("collective_bps", sa.Integer(), nullable=True),
        sa.Column("payer_bps", sa.Integer(), nullable=True),
        sa.Column("counterparty_bps", sa.Integer(), nullable=True),
        sa.Column("payer_sponsor_bps", sa.Integer(), nullable=True),
        sa.Column("counterparty_sponsor_bps", sa.Integer(), nullable=True),
        sa.Column("min_relation_fee", Uint256(), nullable=True),
        sa.Column("steward", sa.String(length=42), nullable=True),
        sa.Column("membership_fee", Uint256(), nullable=False),
        sa.Column("invitation_allowance", sa.Integer(), nullable=True),
        sa.Column("pool", sa.String(length=42), nullable=True),
        sa.Column("active_members", sa.Integer(), nullable=False),
        sa.Column("members_total", sa.Integer(), nullable=False),
        sa.Column("voting_delay", sa.BigInteger(), nullable=True),
        sa.Column("voting_period", sa.BigInteger(), nullable=True),
        sa.Column("proposal_threshold", Uint256(), nullable=True),
        sa.Column("quorum_numerator", Uint256(), nullable=True),
        sa.Column("timelock", sa.String(length=42), nullable=True),
        sa.Column("timelock_min_delay", Uint256(), nullable=True),
        sa.Column("relation_count", sa.Integer(), nullable=False),
        sa.Column("inflow_count", sa.Integer(), nullable=False),
        sa.Column("accumulator_mismatches", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", name=op.f("pk_dao_state")),
    )
    op.create_table(
        "ess_fundings",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("project_id", Uint256(), nullable=False),
        sa.Column("payout_wallet", sa.String(length=42), nullable=False),
        sa.Column("amount", Uint256(), nullable=False),
        sa.Column("proposal_id", Uint256(), nullable=True),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index", name=op.f("pk_ess_fundings")),
    )
    with op.batch_alter_table("ess_fundings", schema=None) as batch_op:
        batch_op.create_index("ix_ess_fundings_project", ["project_id"], unique=False)

    op.create_table(
        "ess_project_changes",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("project_id", Uint256(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=42), nullable=True),
        sa.Column("payout_wallet", sa.String(length=42), nullable=True),
        sa.Column("metadata_uri", sa.Text(), nullable=True),
        sa.Column("metadata_hash", sa.String(length=66), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index", name=op.f("pk_ess_project_changes")),
    )
    op.create_table(
        "ess_projects",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("project_id", Uint256(), nullable=False),
        sa.Column("owner", sa.String(length=42), nullable=False),
        sa.Column("payout_wallet", sa.String(length=42), nullable=False),
        sa.Column("metadata_uri", sa.Text(), nullable=False),
        sa.Column("metadata_hash", sa.String(length=66), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("registered_block", sa.BigInteger(), nullable=False),
        sa.Column("registered_time", sa.BigInteger(), nullable=False),
        sa.Column("updated_block", sa.BigInteger(), nullable=False),
        sa.Column("updated_time", sa.BigInteger(), nullable=False),
        sa.Column("funded_total", Uint256(), nullable=False),
        sa.Column("funding_count", sa.Integer(), nullable=False),
        sa.Column("metadata_status", sa.String(length=16), nullable=False),
        sa.Column("metadata_doc", Json, nullable=True),
        sa.Column("metadata_error", sa.Text(), nullable=True),
        sa.Column("metadata_checked_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("chain_id", "project_id", name=op.f("pk_ess_projects")),
    )
    with op.batch_alter_table("ess_projects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ess_projects_owner"), ["owner"], unique=False)

    op.create_table(
        "index_batches",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("first_block", sa.BigInteger(), nullable=False),
        sa.Column("last_block", sa.BigInteger(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("with_undo", sa.Boolean(), nullable=False),
        sa.Column("indexed_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "first_block", name=op.f("pk_index_batches")),
    )
    with op.batch_alter_table("index_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_index_batches_last_block"), ["last_block"], unique=False)

    op.create_table(
        "indexed_blocks",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.Column("parent_hash", sa.String(length=66), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("has_events", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "number", name=op.f("pk_indexed_blocks")),
    )
    op.create_table(
        "inflows",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=42), nullable=False),
        sa.Column("amount", Uint256(), nullable=False),
        sa.Column("to_members", Uint256(), nullable=False),
        sa.Column("to_ess", Uint256(), nullable=False),
        sa.Column("to_collective", Uint256(), nullable=False),
        sa.Column("reward_per_point", Uint256(), nullable=False),
        sa.Column("reward_per_point_increase", Uint256(), nullable=False),
        sa.Column("undistributed_after", Uint256(), nullable=False),
        sa.Column("total_points_after", Uint256(), nullable=False),
        sa.Column("memo", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index", name=op.f("pk_inflows")),
    )
    op.create_table(
        "invitations",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("invitee", sa.String(length=42), nullable=False),
        sa.Column("sponsor", sa.String(length=42), nullable=False),
        sa.Column("kind", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("closed_block", sa.BigInteger(), nullable=True),
        sa.Column("closed_time", sa.BigInteger(), nullable=True),
        sa.Column("closed_tx", sa.String(length=66), nullable=True),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index", name=op.f("pk_invitations")),
    )
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.create_index("ix_invitations_invitee", ["chain_id", "invitee", "status"], unique=False)

    op.create_table(
        "members",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("kind", sa.Integer(), nullable=True),
        sa.Column("sponsor", sa.String(length=42), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("joined_at", sa.BigInteger(), nullable=True),
        sa.Column("joined_block", sa.BigInteger(), nullable=True),
        sa.Column("by_governance", sa.Boolean(), nullable=True),
        sa.Column("fee_paid", Uint256(), nullable=False),
        sa.Column("excluded_at", sa.BigInteger(), nullable=True),
        sa.Column("excluded_block", sa.BigInteger(), nullable=True),
        sa.Column("exclusion_reason", sa.Text(), nullable=True),
        sa.Column("points", Uint256(), nullable=False),
        sa.Column("accrued", Uint256(), nullable=False),
        sa.Column("reward_per_point_paid", Uint256(), nullable=False),
        sa.Column("claimed", Uint256(), nullable=False),
        sa.Column("invitations_sent", sa.Integer(), nullable=False),
        sa.Column("relations_paid", sa.Integer(), nullable=False),
        sa.Column("relations_received", sa.Integer(), nullable=False),
        sa.Column("amount_paid", Uint256(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "address", name=op.f("pk_members")),
    )
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_members_sponsor"), ["sponsor"], unique=False)

    op.create_table(
        "parameter_changes",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("contract", sa.String(length=32), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("parameter", sa.String(length=64), nullable=False),
        sa.Column("old_value", Json, nullable=True),
        sa.Column("new_value", Json, nullable=True),
        sa.Column("proposal_id", Uint256(), nullable=True),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index", name=op.f("pk_parameter_changes")),
    )
    with op.batch_alter_table("parameter_changes", schema=None) as batch_op:
        batch_op.create_index("ix_parameter_changes_parameter", ["parameter"], unique=False)

    op.create_table(
        "proposal_changes",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("proposal_id", Uint256(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("eta", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index", name=op.f("pk_proposal_changes")),
    )
    with op.batch_alter_table("proposal_changes", schema=None) as batch_op:
        batch_op.create_index("ix_proposal_changes_proposal", ["proposal_id"], unique=False)

    op.create_table(
        "proposals",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("proposal_id", Uint256(), nullable=False),
        sa.Column("proposer", sa.String(length=42), nullable=False),
        sa.Column("targets", Json, nullable=False),
        sa.Column("values", Json, nullable=False),
        sa.Column("signatures", Json, nullable=False),
        sa.Column("calldatas", Json, nullable=False),
        sa.Column("actions", Json, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("description_hash", sa.String(length=66), nullable=False),
        sa.Column("vote_start", sa.BigInteger(), nullable=False),
        sa.Column("vote_end", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("eta", sa.BigInteger(), nullable=True),
        sa.Column("timelock_operation", sa.String(length=66), nullable=True),
        sa.Column("created_block", sa.BigInteger(), nullable=False),
        sa.Column("created_time", sa.BigInteger(), nullable=False),
        sa.Column("created_tx", sa.String(length=66), nullable=False),
        sa.Column("queued_block", sa.BigInteger(), nullable=True),
        sa.Column("queued_time", sa.BigInteger(), nullable=True),
        sa.Column("executed_block", sa.BigInteger(), nullable=True),
        sa.Column("executed_time", sa.BigInteger(), nullable=True),
        sa.Column("executed_tx", sa.String(length=66), nullable=True),
        sa.Column("canceled_block", sa.BigInteger(), nullable=True),
        sa.Column("canceled_time", sa.BigInteger(), nullable=True),
        sa.Column("for_votes", Uint256(), nullable=False),
        sa.Column("against_votes", Uint256(), nullable=False),
        sa.Column("abstain_votes", Uint256(), nullable=False),
        sa.Column("voter_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "proposal_id", name=op.f("pk_proposals")),
    )
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposals_proposer"), ["proposer"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_proposals_timelock_operation"), ["timelock_operation"], unique=False
        )

    op.create_table(
        "raw_events",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("contract", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("args", Json, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_raw_events")),
        sa.UniqueConstraint(
            "chain_id", "tx_hash", "log_index", name=op.f("uq_raw_events_chain_id_tx_hash_log_index")
        ),
    )
    with op.batch_alter_table("raw_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_raw_events_chain_block", ["chain_id", "block_number", "log_index"], unique=False
        )

    op.create_table(
        "relations",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("payer", sa.String(length=42), nullable=False),
        sa.Column("counterparty", sa.String(length=42), nullable=False),
        sa.Column("relation_ref", sa.String(length=66), nullable=False),
        sa.Column("amount", Uint256(), nullable=False),
        sa.Column("to_members", Uint256(), nullable=False),
        sa.Column("to_ess", Uint256(), nullable=False),
        sa.Column("to_collective", Uint256(), nullable=False),
        sa.Column("payer_sponsor", sa.String(length=42), nullable=True),
        sa.Column("counterparty_sponsor", sa.String(length=42), nullable=True),
        sa.Column("payer_points", Uint256(), nullable=False),
        sa.Column("counterparty_points", Uint256(), nullable=False),
        sa.Column("payer_sponsor_points", Uint256(), nullable=False),
        sa.Column("counterparty_sponsor_points", Uint256(), nullable=False),
        sa.Column("reward_per_point", Uint256(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index", name=op.f("pk_relations")),
    )
    with op.batch_alter_table("relations", schema=None) as batch_op:
        batch_op.create_index("ix_relations_counterparty", ["counterparty"], unique=False)
        batch_op.create_index("ix_relations_payer", ["payer"], unique=False)

    op.create_table(
        "reward_freezes",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("member", sa.String(length=42), nullable=False),
        sa.Column("points_removed", Uint256(), nullable=False),
        sa.Column("accrued", Uint256(), nullable=False),
        sa.Column("reward_per_point", Uint256(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index", name=op.f("pk_reward_freezes")),
    )
    op.create_table(
        "undo_images",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("batch_first_block", sa.BigInteger(), nullable=False),
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("row_key", Json, nullable=False),
        sa.Column("image", Json, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_undo_images")),
    )
    with op.batch_alter_table("undo_images", schema=None) as batch_op:
        batch_op.create_index("ix_undo_images_batch", ["chain_id", "batch_first_block"], unique=False)

    op.create_table(
        "votes",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
        sa.Column("proposal_id", Uint256(), nullable=False),
        sa.Column("voter", sa.String(length=42), nullable=False),
        sa.Column("support", sa.Integer(), nullable=False),
        sa.Column("weight", Uint256(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("params", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index", name=op.f("pk_votes")),
        sa.UniqueConstraint(
            "chain_id", "proposal_id", "voter", name=op.f("uq_votes_chain_id_proposal_id_voter")
        ),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("votes")
    with op.batch_alter_table("undo_images", schema=None) as batch_op:
        batch_op.drop_index("ix_undo_images_batch")

    op.drop_table("undo_images")
    op.drop_table("reward_freezes")
    with op.batch_alter_table("relations", schema=None) as batch_op:
        batch_op.drop_index("ix_relations_payer")
        batch_op.drop_index("ix_relations_counterparty")

    op.drop_table("relations")
    with op.batch_alter_table("raw_events", schema=None) as batch_op:
        batch_op.drop_index("ix_raw_events_chain_block")

    op.drop_table("raw_events")
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposals_timelock_operation"))
        batch_op.drop_index(batch_op.f("ix_proposals_proposer"))

    op.drop_table("proposals")
    with op.batch_alter_table("proposal_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_proposal_changes_proposal")

    op.drop_table("proposal_changes")
    with op.batch_alter_table("parameter_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_parameter_changes_parameter")

    op.drop_table("parameter_changes")
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_members_sponsor"))

    op.drop_table("members")
    with op.batch_alter_table("invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_invitations_invitee")

    op.drop_table("invitations")
    op.drop_table("inflows")
    op.drop_table("indexed_blocks")
    with op.batch_alter_table("index_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_index_batches_last_block"))

    op.drop_table("index_batches")
    with op.batch_alter_table("ess_projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ess_projects_owner"))

    op.drop_table("ess_projects")
    op.drop_table("ess_project_changes")
    with op.batch_alter_table("ess_fundings", schema=None) as batch_op:
        batch_op.drop_index("ix_ess_fundings_project")

    op.drop_table("ess_fundings")
    op.drop_table("dao_state")
    op.drop_table("collective_spends")
    with op.batch_alter_table("claims", schema=None) as batch_op:
        batch_op.drop_index("ix_claims_member")

    op.drop_table("claims")
    op.drop_table("checkpoints")
    op.drop_table("bucket_snapshots")
