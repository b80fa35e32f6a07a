"""Bad input: unknown ids give 404, bad parameters 422 with a message, oversized limits are
capped; JSON error bodies everywhere; health; explorer links; OpenAPI docs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from fastapi.testclient import TestClient

from cmir.api.app import create_app
from cmir.store.session import make_engine, upgrade
from tests.api.helpers import World, get

UNKNOWN = "0x000000000000000000000000000000000000dEaD"


def test_unknown_ids_are_404_with_a_detail(client: TestClient) -> None:
    for path in (
        f"/api/v1/members/{UNKNOWN}",
        f"/api/v1/members/{UNKNOWN}/relations",
        "/api/v1/ess/projects/999",
        "/api/v1/ess/projects/999/fundings",
        "/api/v1/governance/proposals/12345",
        "/api/v1/governance/proposals/12345/votes",
        f"/api/v1/network/graph?center={UNKNOWN}",
        "/api/v1/nothing-here",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/json"
        assert isinstance(response.json()["detail"], str) and response.json()["detail"], path


def test_bad_parameters_are_422_with_a_message(client: TestClient) -> None:
    for path, word in (
        ("/api/v1/members?limit=0", "limit"),
        ("/api/v1/members?limit=ten", "limit"),
        ("/api/v1/members?offset=-1", "offset"),
        ("/api/v1/members?kind=Bourdon", "kind"),
        ("/api/v1/members?joined_from=yesterday", "joined_from"),
        ("/api/v1/members?joined_from=2030-01-01&joined_to=2020-01-01", "start"),
        ("/api/v1/members/0x1234", "address"),
        ("/api/v1/flows?cursor=abc", "cursor"),
        ("/api/v1/flows?from_block=9&to_block=3", "from_block"),
        ("/api/v1/flows/totals?period=year", "period"),
        ("/api/v1/pool/history?from=2030-01-01&to=2020-01-01", "from"),
        ("/api/v1/governance/proposals/abc", "proposal_id"),
        (f"/api/v1/governance/proposals/{2**256}", "proposal_id"),
        ("/api/v1/ess/projects?q=" + "x" * 300, "q"),
        ("/api/v1/network/graph?max_edges=0", "max_edges"),
    ):
        response = client.get(path)
        assert response.status_code == 422, path
        detail = response.json()["detail"]
        assert isinstance(detail, str) and word in detail, (path, detail)


def test_oversized_limits_are_capped(client: TestClient) -> None:
    assert get(client, "/members", limit=10**9)["page"]["limit"] == 200
    assert get(client, "/flows", limit=5000)["limit"] == 200
    assert get(client, "/ess/projects", limit=201)["page"]["limit"] == 200
    assert len(get(client, "/pool/history", limit=10**6)["points"]) <= 500


def test_health_reports_lag_and_reachability(client: TestClient, world: World) -> None:
    body = get(client, "/health")
    assert body["status"] == "ok"
    assert body["database"]["reachable"] and body["chain"]["reachable"]
    assert body["indexer"]["checkpoint_block"] == world.dao.head()
    assert body["indexer"]["lag_blocks"] == 0


def test_unreachable_chain_and_missing_database(world: World, tmp_path: object) -> None:
    dead_rpc = world.settings(rpc_url="http://127.0.0.1:9", rpc_timeout=0.5)
    with TestClient(create_app(dead_rpc)) as client:
        health = get(client, "/health")
        assert health["status"] == "degraded" and not health["chain"]["reachable"]
        response = client.get("/api/v1/reconciliation")
        assert response.status_code == 503 and "RPC" in response.json()["detail"]
        assert get(client, "/pool")["shares"]["ess_floor_bps"] is None  # the rest still answers
    missing = world.settings(database_url=f"sqlite:///{tmp_path}/none.sqlite3")
    with TestClient(create_app(missing)) as client:
        assert client.get("/api/v1/health").status_code == 503
        response = client.get("/api/v1/pool")
        assert response.status_code == 503 and response.json()["detail"]


def test_explorer_links_follow_the_network_template(world: World) -> None:
    settings = world.settings(
        explorer_tx_urls={"ethereum:local": "https://explorer.example/tx/{tx}"},
        explorer_address_urls={"ethereum:local": "https://explorer.example/address/{address}"},
    )
    with TestClient(create_app(settings)) as client:
        flow = get(client, "/flows", limit=1)["items"][0]
        assert flow["explorer_url"] == f"https://explorer.example/tx/{flow['tx_hash']}"
        member = get(client, "/members", limit=1)["items"][0]
        assert member["explorer_url"] == f"https://explorer.example/address/{member['address']}"
        meta = get(client, "/meta")
        assert meta["contracts"]["pool"]["explorer_url"].startswith("https://explorer.example/address/0x")


def test_amounts_carry_the_tokens_own_symbol_and_decimals(world: World, client: TestClient) -> None:
    """The unit the API serves is the token's (its `symbol()` and `decimals()`, kept in the
    deployment record), the one the CLI prints; a setting still overrides it."""
    token = world.dao.token
    meta = get(client, "/meta")
    assert meta["token_symbol"] == token.functions.symbol().call() == "tEUR"  # noqa: S105 - a unit
    assert meta["token_decimals"] == token.functions.decimals().call() == 6
    with TestClient(create_app(world.settings(token_symbol="EUR"))) as renamed:  # noqa: S106 - a unit
        assert get(renamed, "/meta")["token_symbol"] == "EUR"  # noqa: S105 - a unit


def test_docs_and_schema_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "/api/v1/reconciliation" in schema["paths"]
    assert len(schema["paths"]) >= 20


def test_database_not_indexed_yet_is_503_with_the_reason(world: World, tmp_path: Path) -> None:
    """An API started before the indexer: no tables yet, then tables but no checkpoint. Each
    figure route answers 503 with what to do, and Retry-After."""
    database = tmp_path / "fresh.sqlite3"
    sqlite3.connect(database).close()
    url = f"sqlite:///{database}"
    cases: list[tuple[str, str | None]] = [("the database has no index yet: run the indexer", None)]
    chain_id = json.loads(world.dao.record_path.read_text())["chain_id"]
    cases.append((f"chain {chain_id} is not indexed yet: run the indexer", "head"))
    for detail, revision in cases:
        if revision is not None:
            engine = make_engine(url)
            upgrade(engine, revision)
            engine.dispose()
        with TestClient(create_app(world.settings(database_url=url))) as fresh:
            for path in ("/api/v1/pool", "/api/v1/network/summary", "/api/v1/members?limit=5"):
                response = fresh.get(path)
                assert response.status_code == 503, (path, response.text)
                assert response.json() == {"detail": detail}, path
                assert response.headers["retry-after"] == "5"
