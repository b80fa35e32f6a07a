"""The schema is changed only through Alembic revisions: upgrading an empty database to head
gives exactly the models' schema, and every revision downgrades cleanly, its data kept."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

from cmir.store.base import Base
from cmir.store.session import alembic_config, current_revision, make_engine, upgrade
from cmir.store.types import Uint256
from tests.indexer.indexer_mirror import engine_for

BIG = 2**70 + 12_345  # above 2**63: stored as text on SQLite, summed exactly in Python


def head_revision(engine: Engine) -> str:
    """The newest revision of the migrations."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def downgrade(engine: Engine, revision: str) -> None:
    """Downgrade the schema to `revision`, in one transaction as `upgrade` does."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def test_migrations_at_head_match_the_models(new_database: Callable[[], str]) -> None:
    engine = engine_for(new_database())
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        indexes = {i["name"]: i["column_names"] for i in inspect(connection).get_indexes("relations")}
        inflow_indexes = {i["name"]: i["column_names"] for i in inspect(connection).get_indexes("inflows")}
    assert indexes["ix_relations_payer"] == ["chain_id", "payer", "block_number", "log_index"]
    assert indexes["ix_relations_pair"] == ["chain_id", "payer", "counterparty", "amount"]
    assert inflow_indexes["ix_inflows_epoch"] == ["chain_id", "epoch", "block_number", "log_index"]


def _relation_indexes(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return {str(i["name"]) for i in inspect(connection).get_indexes("relations")}


def test_the_query_indexes_revision_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'schema.sqlite3'}")
    upgrade(engine)
    downgrade(engine, "0001")
    assert _relation_indexes(engine) == {"ix_relations_payer", "ix_relations_counterparty"}
    upgrade(engine)
    assert _relation_indexes(engine) == {
        "ix_relations_payer",
        "ix_relations_counterparty",
        "ix_relations_pair",
    }
    assert current_revision(engine) == head_revision(engine)


def _insert(connection: Connection, name: str, values: dict[str, Any]) -> None:
    """Insert a row into table `name` as it is now: `values`, and a plain filler for every other
    column (uint256 columns typed as such, so large values keep exact)."""
    table = sa.Table(name, sa.MetaData(), autoload_with=connection)
    row: dict[str, Any] = {}
    columns = []
    for column in table.columns:
        kind = column.type
        if isinstance(kind, sa.types.NullType | sa.Numeric):
            kind = Uint256()
        columns.append(sa.column(column.name, kind))
        if column.name in values:
            row[column.name] = values[column.name]
        elif isinstance(kind, sa.String | sa.Text):
            row[column.name] = "0x01"
        elif isinstance(kind, sa.Boolean):
            row[column.name] = False
        elif isinstance(kind, sa.JSON):
            row[column.name] = {}
        elif column.nullable:
            row[column.name] = None
        else:
            row[column.name] = 0
    connection.execute(sa.insert(sa.table(name, *columns)), [row])


def _read(connection: Connection, name: str, *columns: str) -> tuple[Any, ...]:
    """The one row of table `name`: `columns`, uint256 ones as ints."""
    table = sa.table(name, *(sa.column(c, Uint256()) for c in columns))
    return tuple(connection.execute(sa.select(*table.c)).one())


def _columns(connection: Connection, name: str) -> set[str]:
    return {str(c["name"]) for c in inspect(connection).get_columns(name)}


def test_the_maturity_revision_keeps_points_and_folds_them_back(new_database: Callable[[], str]) -> None:
    """0003 renames the points columns (values kept, above 2**63 too), adds matured/pending
    ones and drops the carry; its downgrade adds pending points back into the points."""
    engine = engine_for(new_database())
    upgrade(engine, "0002")
    key = {"chain_id": 31337, "block_number": 7, "log_index": 1}
    with engine.begin() as connection:
        _insert(connection, "members", {"chain_id": 31337, "address": "0xabc", "points": BIG})
        _insert(connection, "reward_freezes", {**key, "points_removed": BIG + 1})
        _insert(connection, "inflows", {**key, "total_points_after": BIG + 2, "undistributed_after": 5})
        _insert(connection, "bucket_snapshots", {**key, "total_points": BIG + 3, "undistributed_rewards": 5})
        _insert(connection, "relations", {**key, "amount": BIG + 4})
        _insert(connection, "dao_state", {"chain_id": 31337, "total_points": BIG + 5})
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine) == "0005"
    with engine.begin() as connection:
        assert _read(connection, "members", "matured_points", "pending_points") == (BIG, 0)
        assert _read(connection, "reward_freezes", "matured_removed", "pending_removed") == (BIG + 1, 0)
        assert _read(connection, "inflows", "matured_points_after", "pending_points_after", "epoch") == (
            BIG + 2,
            0,
            0,
        )
        assert _read(connection, "bucket_snapshots", "matured_points", "pending_points") == (BIG + 3, 0)
        assert _read(connection, "relations", "amount", "epoch", "members_to_ess") == (BIG + 4, 0, 0)
        assert _read(connection, "dao_state", "matured_points", "points_epoch") == (BIG + 5, 1)
        assert "undistributed_after" not in _columns(connection, "inflows")
        assert "undistributed_rewards" not in _columns(connection, "bucket_snapshots")
        for name, column in (
            ("members", "pending_points"),
            ("reward_freezes", "pending_removed"),
            ("inflows", "pending_points_after"),
            ("bucket_snapshots", "pending_points"),
        ):
            table = sa.table(name, sa.column(column, Uint256()))
            connection.execute(sa.update(table).values({column: BIG}))
    downgrade(engine, "0002")
    with engine.connect() as connection:
        assert _read(connection, "members", "points") == (2 * BIG,)
        assert _read(connection, "reward_freezes", "points_removed") == (2 * BIG + 1,)
        assert _read(connection, "inflows", "total_points_after", "undistributed_after") == (2 * BIG + 2, 0)
        snapshot = _read(connection, "bucket_snapshots", "total_points", "undistributed_rewards")
        assert snapshot == (2 * BIG + 3, 0)
        assert "epoch" not in _columns(connection, "relations")
        assert "points_epoch" not in _columns(connection, "dao_state")
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        assert _read(connection, "members", "matured_points") == (2 * BIG,)


def test_the_probation_revision_fills_old_rows_and_downgrades(new_database: Callable[[], str]) -> None:
    """0004 gives rows written before a probation-free ``votes_from``, wallet version 1 and why an
    inactive project is; it drops the invitation allowance for the membership rules; its
    downgrade drops the new tables and columns and brings the allowance back as the cap."""
    engine = engine_for(new_database())
    upgrade(engine, "0003")
    key = {"chain_id": 31337, "block_number": 7, "log_index": 1}
    with engine.begin() as connection:
        _insert(connection, "members", {"chain_id": 31337, "address": "0xabc", "joined_at": 1_700_000_000})
        _insert(connection, "ess_projects", {"chain_id": 31337, "project_id": BIG, "active": False})
        _insert(connection, "ess_projects", {"chain_id": 31337, "project_id": 2, "active": True})
        _insert(
            connection, "invitations", {**key, "invitee": "0xdef", "sponsor": "0xabc", "status": "pending"}
        )
        _insert(connection, "proposals", {"chain_id": 31337, "proposal_id": BIG + 1, "status": "queued"})
        _insert(
            connection, "dao_state", {"chain_id": 31337, "invitation_allowance": 10, "collective_spent": BIG}
        )
    upgrade(engine)
    assert current_revision(engine) == head_revision(engine) == "0005"
    with engine.begin() as connection:
        assert _read(connection, "members", "votes_from", "invitation_anchor") == (1_700_000_000, None)
        projects = sa.table(
            "ess_projects",
            sa.column("project_id", Uint256()),
            sa.column("wallet_version"),
            sa.column("inactive_reason"),
        )
        found = connection.execute(sa.select(*projects.c).order_by(projects.c.project_id)).all()
        assert [tuple(r) for r in found] == [(2, 1, None), (BIG, 1, "deactivated")]
        assert _read(connection, "invitations", "expires_at") == (None,)
        assert _read(connection, "proposals", "expires_at", "approval_grace") == (None, None)
        assert _read(connection, "dao_state", "budget_spent", "collective_spent") == (0, BIG)
        texts = sa.text("SELECT revoked_by FROM invitations UNION ALL SELECT guardian FROM dao_state")
        assert connection.execute(texts).scalars().all() == [None, None]
        assert "invitation_allowance" not in _columns(connection, "dao_state")
        connection.execute(
            sa.update(sa.table("dao_state", sa.column("invitation_cap"))).values(invitation_cap=3)
        )
        _insert(connection, "attesters", {"chain_id": 31337, "address": "0xa77", "allowed": True})
        _insert(connection, "attestations", {**key, "account": "0xe55", "attester": "0xa77"})
        _insert(
            connection, "proposal_payouts", {**key, "action_index": 0, "proposal_id": BIG + 1, "amount": BIG}
        )
    downgrade(engine, "0003")
    with engine.connect() as connection:
        assert _read(connection, "dao_state", "invitation_allowance", "collective_spent") == (3, BIG)
        assert "votes_from" not in _columns(connection, "members")
        assert "wallet_version" not in _columns(connection, "ess_projects")
        assert "expires_at" not in _columns(connection, "proposals")
        tables = set(inspect(connection).get_table_names())
        assert not tables & {"attesters", "attestations", "proposal_payouts"}
        assert _read(connection, "members", "joined_at") == (1_700_000_000,)
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        assert _read(connection, "proposals", "proposal_id") == (BIG + 1,)
