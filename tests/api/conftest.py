"""Fixtures of the API tests: one real anvil chain for the session, the contracts deployed, the
indexer's own scenario played on it (every event type), the real indexer run once into a temp
SQLite file, and the API application over that database."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

INDEXER_TESTS = Path(__file__).resolve().parents[1] / "indexer"
sys.path.insert(0, str(INDEXER_TESTS))

from indexer_chain import Dao  # noqa: E402
from indexer_mirror import dispose_engine, run_indexer  # noqa: E402
from indexer_scenario import Outcome, run  # noqa: E402

from cmir.api.app import create_app  # noqa: E402
from cmir.api.settings import Settings  # noqa: E402
from cmir.dev.devchain import Anvil, deploy_founders  # noqa: E402


@dataclass
class World:
    """The chain, what the scenario made, and the indexed database."""

    dao: Dao
    outcome: Outcome
    db_url: str
    metadata_dir: Path

    def settings(self, **overrides: Any) -> Settings:
        """API settings for this world."""
        values: dict[str, Any] = {
            "database_url": self.db_url,
            "rpc_url": self.dao.url,
            "deployment_file": self.dao.record_path,
        }
        values.update(overrides)
        return Settings(**values)


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Deploy (founders: account 1 Pilote, 2 Abeille, 3 ESS structure; steward 4), play the
    indexer's scenario, index it."""
    tmp = tmp_path_factory.mktemp("api")
    anvil = Anvil()
    try:
        record = tmp / "deployment.json"
        deploy_founders(anvil.url, record)
        dao = Dao.connect(anvil.url, record)
        metadata_dir = tmp / "metadata"
        metadata_dir.mkdir()
        outcome = run(dao, metadata_dir)
        db_url = f"sqlite:///{tmp / 'mirror.sqlite3'}"
        stats = run_indexer(anvil.url, record, db_url, metadata_file_root=metadata_dir)
        assert stats.checkpoint == dao.head()
        dispose_engine(db_url)  # the API opens its own read-only engine
        yield World(dao=dao, outcome=outcome, db_url=db_url, metadata_dir=metadata_dir)
    finally:
        anvil.stop()


@pytest.fixture(scope="session")
def client(world: World) -> Iterator[TestClient]:
    """The API over the indexed database, lifespan running."""
    with TestClient(create_app(world.settings())) as test_client:
        yield test_client
