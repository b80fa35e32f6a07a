"""The relayer's requests and lease, and the ESS metadata documents the API stores.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07

Members act without holding ether (issue 14): they sign a request (a call through the ERC-2771
forwarder, or a ballot), the API checks it and stores it here before anything is sent, and one
sender at a time (the lease) sends it with the operator's key and records what became of it.
ESS structures store their project's metadata document through the API, which serves it back
byte for byte under its keccak-256 (the hash registered on chain).

Tables: ``relay_requests`` (one pending request per signer and nonce: a partial unique index),
``relay_leases``, ``ess_metadata_documents``. The downgrade drops them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from cmir.store.types import BigId, Json, Uint256

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("status IN ('accepted', 'sent')")


def upgrade() -> None:
    """Create the relayer's tables and the metadata documents."""
    op.create_table(
        "relay_requests",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("signer", sa.String(length=42), nullable=False),
        sa.Column("target", sa.String(length=42), nullable=False),
        sa.Column("target_role", sa.String(length=16), nullable=False),
        sa.Column("function", sa.String(length=64), nullable=False),
        sa.Column("request", Json, nullable=False),
        sa.Column("signature", sa.String(length=132), nullable=False),
        sa.Column("digest", sa.String(length=66), nullable=False),
        sa.Column("nonce", Uint256(), nullable=False),
        sa.Column("deadline", sa.BigInteger(), nullable=False),
        sa.Column("gas_limit", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("raw_tx", sa.Text(), nullable=True),
        sa.Column("tx_nonce", sa.BigInteger(), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("gas_used", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error_name", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("sent_at", sa.BigInteger(), nullable=True),
        sa.Column("finished_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relay_requests")),
        sa.UniqueConstraint("digest", name=op.f("uq_relay_requests_digest")),
    )
    op.create_index(
        "uq_relay_requests_pending_nonce",
        "relay_requests",
        ["chain_id", "kind", "signer", "nonce"],
        unique=True,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.create_index("ix_relay_requests_signer", "relay_requests", ["chain_id", "signer", "created_at"])
    op.create_index("ix_relay_requests_status", "relay_requests", ["status", "id"])
    op.create_table(
        "relay_leases",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_relay_leases")),
    )
    op.create_table(
        "ess_metadata_documents",
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("hash", name=op.f("pk_ess_metadata_documents")),
    )


def downgrade() -> None:
    """Drop them."""
    op.drop_table("ess_metadata_documents")
    op.drop_table("relay_leases")
    op.drop_index("ix_relay_requests_status", table_name="relay_requests")
    op.drop_index("ix_relay_requests_signer", table_name="relay_requests")
    op.drop_index("uq_relay_requests_pending_nonce", table_name="relay_requests")
    op.drop_table("relay_requests")
