"""Fixtures of the API tests: one real anvil chain for the session, the contracts deployed, the
indexer's own scenario played on it (every event type), the real indexer run once into a temp
SQLite file, and the API application over that database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from cmir.api.app import create_app
from tests.api.helpers import World, indexed_world


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Deploy (founders: account 1 Pilote, 2 Abeille, 3 ESS structure; steward 4), play the
    indexer's scenario, index it."""
    with indexed_world(tmp_path_factory.mktemp("api")) as built:
        yield built


@pytest.fixture(scope="session")
def client(world: World) -> Iterator[TestClient]:
    """The API over the indexed database, lifespan running."""
    with TestClient(create_app(world.settings())) as test_client:
        yield test_client
