"""Indexes shaped like the API's queries.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

Each per-member or per-project read (a member's relations, claims, invitees, pending
invitations and freeze; a project's fundings and changes; a proposal's changes) filters on the
chain id and one address or id, then orders by chain position. The first indexes had the
address alone, so the planner either sorted every matching row or, without statistics, walked
the primary key of the whole chain. These lead with the chain id, then the filter, then the
position, so a page is a range read in index order. ``ix_relations_pair`` answers the member
graph's edges (count and sum per payer and counterparty) from the index alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (index, table, columns before, columns after); before None: a new index
CHANGES: tuple[tuple[str, str, list[str] | None, list[str]], ...] = (
    ("ix_relations_payer", "relations", ["payer"], ["chain_id", "payer", "block_number", "log_index"]),
    (
        "ix_relations_counterparty",
        "relations",
        ["counterparty"],
        ["chain_id", "counterparty", "block_number", "log_index"],
    ),
    ("ix_relations_pair", "relations", None, ["chain_id", "payer", "counterparty", "amount"]),
    ("ix_claims_member", "claims", ["member"], ["chain_id", "member", "block_number", "log_index"]),
    ("ix_reward_freezes_member", "reward_freezes", None, ["chain_id", "member", "block_number"]),
    (
        "ix_ess_fundings_project",
        "ess_fundings",
        ["project_id"],
        ["chain_id", "project_id", "block_number", "log_index"],
    ),
    (
        "ix_ess_project_changes_project",
        "ess_project_changes",
        None,
        ["chain_id", "project_id", "block_number"],
    ),
    (
        "ix_proposal_changes_proposal",
        "proposal_changes",
        ["proposal_id"],
        ["chain_id", "proposal_id", "block_number"],
    ),
    ("ix_invitations_sponsor", "invitations", None, ["chain_id", "sponsor", "status"]),
    ("ix_members_sponsor", "members", ["sponsor"], ["chain_id", "sponsor", "joined_block"]),
)


def upgrade() -> None:
    """Apply this revision."""
    for name, table, before, after in CHANGES:
        if before is not None:
            op.drop_index(name, table_name=table)
        op.create_index(name, table, after)


def downgrade() -> None:
    """Revert this revision."""
    for name, table, before, _after in reversed(CHANGES):
        op.drop_index(name, table_name=table)
        if before is not None:
            op.create_index(name, table, before)
