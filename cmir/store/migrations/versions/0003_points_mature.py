"""Points mature by epoch; the members' share no longer carries over.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06

The pool now keeps points earned in an epoch pending until it ends, spreads an inflow's
members' share over matured points only (within a reward cap per epoch) and sends what they
cannot receive to ESS instead of carrying it. So:

- relations: + ``epoch`` (the points' pending epoch), + ``members_to_ess``;
- inflows: ``undistributed_after`` dropped, ``total_points_after`` renamed
  ``matured_points_after``, + ``pending_points_after``, ``members_to_ess``, ``epoch``, and an
  index by epoch (the accumulator an epoch's pending points matured at is its last inflow's);
- bucket_snapshots: ``undistributed_rewards`` dropped, ``total_points`` renamed
  ``matured_points``, + ``pending_points``, ``epoch``;
- reward_freezes: ``points_removed`` renamed ``matured_removed``, + ``pending_removed``;
- members: ``points`` renamed ``matured_points``, + ``pending_points``, ``pending_epoch``,
  ``matures_at`` (null when nothing is pending);
- dao_state: + the stored point totals, the epoch of the last booking, the reward cap's base
  and the governed epoch clock, reward cap and parties' minimum share.

Rows written before keep their values (their points all count as matured, no epoch: 0). The
downgrade folds pending points back into the single points columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from cmir.store.types import Uint256

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ZERO = sa.text("0")

#: (table, column, type) added NOT NULL, existing rows 0.
ADDED: tuple[tuple[str, str, sa.types.TypeEngine[int]], ...] = (
    ("relations", "epoch", sa.BigInteger()),
    ("relations", "members_to_ess", Uint256()),
    ("inflows", "pending_points_after", Uint256()),
    ("inflows", "members_to_ess", Uint256()),
    ("inflows", "epoch", sa.BigInteger()),
    ("bucket_snapshots", "pending_points", Uint256()),
    ("bucket_snapshots", "epoch", sa.BigInteger()),
    ("reward_freezes", "pending_removed", Uint256()),
    ("members", "pending_points", Uint256()),
    ("dao_state", "matured_points", Uint256()),
    ("dao_state", "pending_points", Uint256()),
    ("dao_state", "points_epoch", sa.BigInteger()),
    ("dao_state", "epoch_start_reward_per_point", Uint256()),
)
#: (table, column, type) added nullable.
NULLABLE: tuple[tuple[str, str, sa.types.TypeEngine[int]], ...] = (
    ("members", "pending_epoch", sa.BigInteger()),
    ("members", "matures_at", sa.BigInteger()),
    ("dao_state", "epoch_length", sa.BigInteger()),
    ("dao_state", "epoch_origin", sa.BigInteger()),
    ("dao_state", "epoch_origin_epoch", sa.BigInteger()),
    ("dao_state", "epoch_reward_cap_bps", sa.Integer()),
    ("dao_state", "parties_min_share_bps", sa.Integer()),
)
#: (table, old name, new name) of renamed Uint256 columns.
RENAMED = (
    ("inflows", "total_points_after", "matured_points_after"),
    ("bucket_snapshots", "total_points", "matured_points"),
    ("reward_freezes", "points_removed", "matured_removed"),
    ("members", "points", "matured_points"),
)
#: (table, column) dropped: the carry of undistributed rewards is gone.
DROPPED = (("inflows", "undistributed_after"), ("bucket_snapshots", "undistributed_rewards"))
#: Where the downgrade folds pending points back: (table, key columns, points, pending).
FOLDED = (
    ("members", ("chain_id", "address"), "matured_points", "pending_points"),
    ("reward_freezes", ("chain_id", "block_number", "log_index"), "matured_removed", "pending_removed"),
    ("bucket_snapshots", ("chain_id", "block_number", "log_index"), "matured_points", "pending_points"),
    ("inflows", ("chain_id", "block_number", "log_index"), "matured_points_after", "pending_points_after"),
)
TABLES = ("relations", "inflows", "bucket_snapshots", "reward_freezes", "members", "dao_state")
INFLOWS_EPOCH = ("ix_inflows_epoch", ["chain_id", "epoch", "block_number", "log_index"])


def _batch(table: str) -> Any:
    """`op.batch_alter_table` for `table`. SQLite recreates the table, from its reflection:
    uint256 columns (declared ``DECIMAL_BLOB``, which SQLAlchemy does not know) are named
    `Uint256` so the copy keeps their type."""
    columns: list[sa.Column[int]] = []
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for column in sa.inspect(bind).get_columns(table):
            if isinstance(column["type"], sa.types.NullType):
                columns.append(sa.Column(column["name"], Uint256(), nullable=column["nullable"]))
    return op.batch_alter_table(table, reflect_args=tuple(columns))


def upgrade() -> None:
    """Apply this revision."""
    for table in TABLES:
        with _batch(table) as batch:
            for name, old, new in RENAMED:
                if name == table:
                    batch.alter_column(old, new_column_name=new)
            for name, column in DROPPED:
                if name == table:
                    batch.drop_column(column)
            for name, column, type_ in ADDED:
                if name == table:
                    batch.add_column(sa.Column(column, type_, nullable=False, server_default=ZERO))
            for name, column, type_ in NULLABLE:
                if name == table:
                    batch.add_column(sa.Column(column, type_, nullable=True))
    op.execute("UPDATE dao_state SET matured_points = total_points, points_epoch = 1")
    for table in TABLES:  # the defaults only filled the rows already there
        with _batch(table) as batch:
            for name, column, _ in ADDED:
                if name == table:
                    batch.alter_column(column, server_default=None)
    op.create_index(INFLOWS_EPOCH[0], "inflows", INFLOWS_EPOCH[1])


def _fold_pending() -> None:
    """Add each row's pending points to its points (in Python: SQLite's arithmetic is exact only
    below 2**63, and these are uint256)."""
    connection = op.get_bind()
    for name, keys, points, pending in FOLDED:
        table = sa.table(
            name, *(sa.column(k) for k in keys), sa.column(points, Uint256()), sa.column(pending, Uint256())
        )
        rows = connection.execute(
            sa.select(*(table.c[k] for k in keys), table.c[points], table.c[pending]).where(
                table.c[pending] != 0
            )
        ).all()
        for row in rows:
            condition = sa.and_(
                *(table.c[k] == value for k, value in zip(keys, row[: len(keys)], strict=True))
            )
            connection.execute(
                sa.update(table).where(condition).values({points: int(row[-2]) + int(row[-1])})
            )


def downgrade() -> None:
    """Revert this revision: pending points count as points again; no carry is recorded."""
    op.drop_index(INFLOWS_EPOCH[0], table_name="inflows")
    _fold_pending()
    for table in reversed(TABLES):
        with _batch(table) as batch:
            for name, column, _ in (*NULLABLE, *ADDED):
                if name == table:
                    batch.drop_column(column)
            for name, column in DROPPED:
                if name == table:
                    batch.add_column(sa.Column(column, Uint256(), nullable=False, server_default=ZERO))
            for name, old, new in RENAMED:
                if name == table:
                    batch.alter_column(new, new_column_name=old)
    for name, column in DROPPED:
        with _batch(name) as batch:
            batch.alter_column(column, server_default=None)
