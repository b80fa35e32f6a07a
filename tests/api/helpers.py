"""Helpers of the API tests: the indexed world they share with the browser tests, and reading the
API's JSON."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from cmir.api.settings import Settings
from cmir.dev.devchain import Anvil, deploy_founders
from tests.indexer.indexer_chain import Dao
from tests.indexer.indexer_mirror import dispose_engine, run_indexer
from tests.indexer.indexer_scenario import Outcome, run


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


@contextmanager
def indexed_world(tmp: Path) -> Iterator[World]:
    """A fresh anvil with the contracts deployed (founders: account 1 Pilote, 2 Abeille, 3 ESS
    structure; steward 4), the indexer's scenario played on it and indexed into a SQLite file in
    `tmp`; anvil is stopped on exit. The `world` fixtures of the API and browser tests."""
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


def get(client: TestClient, path: str, **params: Any) -> Any:
    """GET `path` under /api/v1; asserts 200 and returns the JSON body."""
    response = client.get(f"/api/v1{path}", params=params)
    assert response.status_code == 200, (path, response.status_code, response.text[:500])
    return response.json()


def units(amount: dict[str, str]) -> int:
    """The integer of an `Amount`."""
    return int(amount["units"])


def pages(client: TestClient, path: str, **params: Any) -> list[Any]:
    """Every item of a cursor-paginated list."""
    items: list[Any] = []
    cursor = None
    while True:
        query = dict(params)
        if cursor:
            query["cursor"] = cursor
        body = get(client, path, **query)
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items
