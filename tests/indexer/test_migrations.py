"""The schema is changed only through Alembic revisions: upgrading an empty database to head
gives exactly the models' schema, and every revision downgrades cleanly."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from indexer.db.base import Base
from indexer.db.session import alembic_config, current_revision, make_engine, upgrade


def test_migrations_at_head_match_the_models(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'schema.sqlite3'}")
    upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        indexes = {i["name"]: i["column_names"] for i in inspect(connection).get_indexes("relations")}
    assert indexes["ix_relations_payer"] == ["chain_id", "payer", "block_number", "log_index"]
    assert indexes["ix_relations_pair"] == ["chain_id", "payer", "counterparty", "amount"]


def _relation_indexes(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return {str(i["name"]) for i in inspect(connection).get_indexes("relations")}


def test_the_query_indexes_revision_downgrades_and_upgrades_again(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'schema.sqlite3'}")
    upgrade(engine)
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    assert _relation_indexes(engine) == {"ix_relations_payer", "ix_relations_counterparty"}
    upgrade(engine)
    assert _relation_indexes(engine) == {
        "ix_relations_payer",
        "ix_relations_counterparty",
        "ix_relations_pair",
    }
    assert current_revision(engine) == "0002"
