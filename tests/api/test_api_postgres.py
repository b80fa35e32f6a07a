"""The same API over PostgreSQL (when ``CMIR_TEST_POSTGRES_URL`` names a server; the indexer's
``tests/indexer/pg.sh start`` starts one): the real indexer fills a fresh database from the
session's chain; full-text search, JSON filters and every route answer as on SQLite."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cmir.api.app import create_app
from cmir.store.session import normalize_url
from tests.api.helpers import World, get
from tests.indexer.indexer_mirror import dispose_engine, run_indexer

POSTGRES_URL = os.environ.get("CMIR_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="CMIR_TEST_POSTGRES_URL not set")


@contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """The URL of a new, empty database on the test server, dropped afterwards."""
    assert POSTGRES_URL
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalize_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(normalize_url(POSTGRES_URL)).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def pg_client(world: World) -> Iterator[TestClient]:
    """The API over a PostgreSQL mirror of the session's chain."""
    with scratch_database("cmir_api") as url:
        run_indexer(world.dao.url, world.dao.record_path, url, metadata_file_root=world.metadata_dir)
        dispose_engine(url)
        with TestClient(create_app(world.settings(database_url=url))) as client:
            yield client


def test_postgres_search_and_routes(pg_client: TestClient, client: TestClient) -> None:
    def ids(**params: str) -> list[str]:
        return [p["id"] for p in get(pg_client, "/ess/projects", **params)["items"]]

    assert ids(q="EPICERIE") == ["1", "4"]
    assert ids(q="épicerie canal") == ["1"]
    assert ids(q="epic") == ["1", "4"]  # prefix matching of the full-text search
    assert ids(department="93", sort="id") == ["1", "4"]
    assert ids(region="11", sort="id") == ["1", "4"]
    assert ids(region="84") == []
    assert ids(theme="Insertion", sort="id") == ["1", "4"]
    assert ids(legal_form="ASSOCIATION", sort="id") == ["1", "4"]
    assert get(pg_client, "/reconciliation")["status"] == "ok"
    for path in (
        "/pool",
        "/members",
        "/flows?limit=200",
        "/flows?direction=out&limit=200",
        "/flows?kind=relation&limit=3",
        "/flows/totals",
        "/flows/sankey",
        "/network/summary",
        "/social-utility",
    ):
        pg_body, sqlite_body = get(pg_client, path), get(client, path)
        assert pg_body == sqlite_body, path


def test_postgres_member_pages_equal_sqlite(pg_client: TestClient, client: TestClient) -> None:
    """Every member's page, its relations page by page and its neighbourhood graph read the same
    on both databases (these reads run on the DBAPI cursor, with the driver's own types)."""
    members = get(client, "/members", limit="200")["items"]
    assert len(members) > 3
    for member in members:
        address = member["address"]
        for path in (f"/members/{address}", f"/network/graph?center={address}"):
            assert get(pg_client, path) == get(client, path), path
        for direction in ("all", "paid", "received"):
            pages, cursor = 0, None
            while True:
                params = {"limit": "2", "direction": direction, **({"cursor": cursor} if cursor else {})}
                pg_page = get(pg_client, f"/members/{address}/relations", **params)
                assert pg_page == get(client, f"/members/{address}/relations", **params)
                pages += 1
                cursor = pg_page["next_cursor"]
                if cursor is None:
                    break
            assert pages >= 1


def test_postgres_keyset_lists_equal_sqlite(pg_client: TestClient, client: TestClient) -> None:
    """Every vote and every relation, walked page after page along their cursors (the tuple
    comparisons of keyset pagination), read the same on both databases."""
    for path, params in (
        ("/governance/votes", {"limit": "2"}),
        ("/relations", {"limit": "3"}),
        ("/relations", {"limit": "2", "from_block": "1"}),
    ):
        pages, cursor = 0, None
        while True:
            query = {**params, **({"cursor": cursor} if cursor else {})}
            pg_page = get(pg_client, path, **query)
            assert pg_page == get(client, path, **query), (path, query)
            pages += 1
            cursor = pg_page["next_cursor"]
            if cursor is None:
                break
        assert pages > 2, path


def test_postgres_database_without_index_is_503(world: World) -> None:
    """The API started on an empty PostgreSQL database (the indexer never ran): 503 and what
    to do, as on SQLite."""
    with scratch_database("cmir_empty") as url:
        with TestClient(create_app(world.settings(database_url=url))) as client:
            response = client.get("/api/v1/pool")
        assert response.status_code == 503
        assert response.json() == {"detail": "the database has no index yet: run the indexer"}
