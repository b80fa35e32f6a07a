"""Fixtures of the indexer tests: real anvil processes, real SQLite files, and PostgreSQL
databases when ``CMIR_TEST_POSTGRES_URL`` names a server (``tests/indexer/pg.sh`` starts one)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cmir.store.session import normalize_url
from tests.indexer.indexer_mirror import dispose_engine

POSTGRES_URL = os.environ.get("CMIR_TEST_POSTGRES_URL")
BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql", marks=pytest.mark.skipif(not POSTGRES_URL, reason="CMIR_TEST_POSTGRES_URL not set")
    ),
]


@pytest.fixture(params=BACKENDS)
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """A factory of empty databases of the parametrised backend."""
    created: list[str] = []

    def make() -> str:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path / f'mirror-{len(created)}.sqlite3'}"
        else:
            assert POSTGRES_URL
            name = f"cmir_test_{uuid.uuid4().hex[:12]}"
            admin = create_engine(normalize_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            url = (
                make_url(normalize_url(POSTGRES_URL)).set(database=name).render_as_string(hide_password=False)
            )
        created.append(url)
        return url

    yield make
    for url in created:
        dispose_engine(url)
        if not url.startswith("sqlite"):
            admin = create_engine(normalize_url(POSTGRES_URL or ""), isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
            admin.dispose()
