"""Probation, refilling invitations, attesters, wallet versions, expiring approvals, a guardian
and the steward's budget.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07

The contracts now make capture slow and visible (issue 11), and the mirror follows:

- members: + ``votes_from`` (the end of probation: its vote counts, it may invite and propose
  from then on) and ``invitation_anchor`` (the contract's anchor of the refilling allowance);
  rows written before get ``votes_from = joined_at`` (no probation then) and no anchor;
- invitations: one per (invitee, sponsor), + ``expires_at`` and ``revoked_by``;
- ess_projects: + ``wallet_version`` (1 for rows written before) and ``inactive_reason``
  (``deactivated`` for the inactive rows written before); ess_project_changes: + ``wallet_version``;
- proposals: + the cancelling transaction, the guardian and its reason, the grace period at the
  snapshot and ``expires_at``;
- dao_state: ``invitation_allowance`` dropped; + the membership rules (probation, refill period,
  cap, invitation life), the quorum floor, the approval grace period, the guardian, and the
  steward's budget with what it spent in the running period;
- new tables: ``attesters`` (aggregate), ``attestations`` and ``proposal_payouts`` (event rows).

The downgrade drops all of it; ``invitation_allowance`` comes back as the invitation cap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from cmir.store.types import Uint256

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ZERO = sa.text("0")
ONE = sa.text("1")


def _nullable() -> tuple[tuple[str, str, sa.types.TypeEngine[Any]], ...]:
    """(table, column, type) added nullable."""
    return (
        ("members", "votes_from", sa.BigInteger()),
        ("members", "invitation_anchor", sa.BigInteger()),
        ("invitations", "expires_at", sa.BigInteger()),
        ("invitations", "revoked_by", sa.String(length=42)),
        ("ess_projects", "inactive_reason", sa.String(length=16)),
        ("ess_project_changes", "wallet_version", sa.BigInteger()),
        ("proposals", "canceled_tx", sa.String(length=66)),
        ("proposals", "canceled_by_guardian", sa.String(length=42)),
        ("proposals", "cancel_reason", sa.Text()),
        ("proposals", "approval_grace", sa.BigInteger()),
        ("proposals", "expires_at", sa.BigInteger()),
        ("dao_state", "collective_budget", Uint256()),
        ("dao_state", "collective_budget_period", sa.BigInteger()),
        ("dao_state", "budget_period_start", sa.BigInteger()),
        ("dao_state", "probation", sa.BigInteger()),
        ("dao_state", "invitation_refill_period", sa.BigInteger()),
        ("dao_state", "invitation_cap", sa.Integer()),
        ("dao_state", "invitation_ttl", sa.BigInteger()),
        ("dao_state", "quorum_floor", Uint256()),
        ("dao_state", "approval_grace_period", sa.BigInteger()),
        ("dao_state", "guardian", sa.String(length=42)),
    )


def _required() -> tuple[tuple[str, str, sa.types.TypeEngine[Any], Any], ...]:
    """(table, column, type, value of the rows already there) added NOT NULL."""
    return (
        ("ess_projects", "wallet_version", sa.BigInteger(), ONE),
        ("dao_state", "budget_spent", Uint256(), ZERO),
    )


TABLES = ("members", "invitations", "ess_projects", "ess_project_changes", "proposals", "dao_state")


def _batch(table: str) -> Any:
    """`op.batch_alter_table` for `table`. SQLite recreates the table, from its reflection:
    uint256 columns (declared ``DECIMAL_BLOB``, which SQLAlchemy does not know) are named
    `Uint256` so the copy keeps their type (and their place in the primary key)."""
    columns: list[sa.Column[int]] = []
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        inspector = sa.inspect(bind)
        key = set(inspector.get_pk_constraint(table)["constrained_columns"])
        for column in inspector.get_columns(table):
            if isinstance(column["type"], sa.types.NullType):
                name = column["name"]
                columns.append(
                    sa.Column(name, Uint256(), nullable=column["nullable"], primary_key=name in key)
                )
    return op.batch_alter_table(table, reflect_args=tuple(columns))


def _event_columns() -> list[sa.Column[Any]]:
    """The columns every event row starts with (`cmir.store.projections.EventRow`)."""
    return [
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("block_time", sa.BigInteger(), nullable=False),
    ]


def upgrade() -> None:
    """Apply this revision."""
    for table in TABLES:
        with _batch(table) as batch:
            if table == "dao_state":
                batch.drop_column("invitation_allowance")
            for name, column, type_ in _nullable():
                if name == table:
                    batch.add_column(sa.Column(column, type_, nullable=True))
            for name, column, type_, value in _required():
                if name == table:
                    batch.add_column(sa.Column(column, type_, nullable=False, server_default=value))
    for table in TABLES:  # the defaults only filled the rows already there
        if any(name == table for name, *_ in _required()):
            with _batch(table) as batch:
                for name, column, _type, _value in _required():
                    if name == table:
                        batch.alter_column(column, server_default=None)
    # Rows written before: no probation then; an inactive project was switched off by governance.
    op.execute("UPDATE members SET votes_from = joined_at")
    projects = sa.table("ess_projects", sa.column("active", sa.Boolean()), sa.column("inactive_reason"))
    op.execute(sa.update(projects).where(projects.c.active.is_(False)).values(inactive_reason="deactivated"))

    op.create_table(
        "attesters",
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("changed_block", sa.BigInteger(), nullable=False),
        sa.Column("changed_time", sa.BigInteger(), nullable=False),
        sa.Column("attestations", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "address", name=op.f("pk_attesters")),
    )
    op.create_table(
        "attestations",
        *_event_columns(),
        sa.Column("account", sa.String(length=42), nullable=False),
        sa.Column("attester", sa.String(length=42), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "block_number", "log_index", name=op.f("pk_attestations")),
    )
    op.create_index(
        "ix_attestations_account", "attestations", ["chain_id", "account", "block_number", "log_index"]
    )
    op.create_table(
        "proposal_payouts",
        *_event_columns(),
        sa.Column("action_index", sa.Integer(), nullable=False),
        sa.Column("proposal_id", Uint256(), nullable=False),
        sa.Column("project_id", Uint256(), nullable=False),
        sa.Column("function", sa.String(length=32), nullable=False),
        sa.Column("payout_wallet", sa.String(length=42), nullable=True),
        sa.Column("wallet_version", sa.BigInteger(), nullable=False),
        sa.Column("amount", Uint256(), nullable=True),
        sa.PrimaryKeyConstraint(
            "chain_id", "block_number", "log_index", "action_index", name=op.f("pk_proposal_payouts")
        ),
    )
    op.create_index(
        "ix_proposal_payouts_project", "proposal_payouts", ["chain_id", "project_id", "block_number"]
    )
    op.create_index("ix_proposal_payouts_proposal", "proposal_payouts", ["chain_id", "proposal_id"])


def downgrade() -> None:
    """Revert this revision: the allowance comes back as the invitation cap."""
    op.drop_index("ix_proposal_payouts_proposal", table_name="proposal_payouts")
    op.drop_index("ix_proposal_payouts_project", table_name="proposal_payouts")
    op.drop_table("proposal_payouts")
    op.drop_index("ix_attestations_account", table_name="attestations")
    op.drop_table("attestations")
    op.drop_table("attesters")
    with _batch("dao_state") as batch:
        batch.add_column(sa.Column("invitation_allowance", sa.Integer(), nullable=True))
    op.execute("UPDATE dao_state SET invitation_allowance = invitation_cap")
    for table in reversed(TABLES):
        with _batch(table) as batch:
            for name, column, *_ in (*_required(), *_nullable()):
                if name == table:
                    batch.drop_column(column)
