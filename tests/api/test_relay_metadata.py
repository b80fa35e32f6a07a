"""The ESS metadata store: an ESS structure stores its project's document through the API, gets
back a URL and the document's keccak-256, and registers both on chain without ether (through the
relayer); the URL serves the exact bytes, so the indexer's and the auditor's fetchers (over real
HTTP) find the registered hash. Documents that are not JSON objects, or too large, are refused."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest
import requests
import uvicorn
from eth_utils.crypto import keccak
from fastapi.testclient import TestClient

from cmir.api.app import create_app
from cmir.audit.resources.metadata import fetch as audit_fetch
from cmir.dev.devchain import free_port
from cmir.indexer.metadata import MetadataPolicy, check_document, fetch_document
from tests.api.relay_world import RelayWorld, relay_world

DOCUMENT = json.dumps(
    {
        "name": "Recyclerie du Neudorf",
        "legalForm": "association loi 1901",
        "territories": ["67482"],
        "themes": ["réemploi", "insertion"],
        "description": "Collecte, répare et revend à petit prix ; emplois d'insertion.",
    },
    ensure_ascii=False,
    indent=1,
).encode()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayWorld]:
    with relay_world(tmp_path_factory.mktemp("metadata")) as built:
        yield built


@pytest.fixture(scope="module")
def server(world: RelayWorld) -> Iterator[str]:
    """The API served over real HTTP on a free port (what the indexer and the auditor fetch)."""
    port = free_port()
    config = uvicorn.Config(create_app(world.settings()), host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        assert time.monotonic() < deadline, "the API did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(10)


def test_a_project_document_is_stored_served_back_and_registered_with_its_hash(
    world: RelayWorld, server: str
) -> None:
    stored = requests.post(f"{server}/api/v1/ess/metadata", data=DOCUMENT, timeout=10)
    assert stored.status_code == 201, stored.text
    body = stored.json()
    digest = "0x" + keccak(DOCUMENT).hex()
    assert body == {"uri": f"{server}/api/v1/ess/metadata/{digest}", "hash": digest, "size": len(DOCUMENT)}
    served = requests.get(body["uri"], timeout=10)
    assert served.status_code == 200 and served.content == DOCUMENT
    assert served.headers["content-type"] == "application/json"
    # the indexer's fetcher and the auditor's, as they read any http URI
    policy = MetadataPolicy(allow_private_hosts=True)
    assert check_document(fetch_document(body["uri"], policy), digest)["name"] == "Recyclerie du Neudorf"
    fetched = audit_fetch(body["uri"], requests.Session())
    assert fetched.content == DOCUMENT
    # registered on chain through the relayer by the ESS structure, with that URI and hash
    ess = world.founders[2]
    with TestClient(create_app(world.settings())) as client:
        request = world.forward(
            ess, "registry", "registerProject", ess.address, body["uri"], bytes.fromhex(digest[2:])
        )
        accepted = client.post("/api/v1/relay/forward", json=request)
        assert accepted.status_code == 202, accepted.text
        world.send_all()
        done = client.get(f"/api/v1/relay/requests/{accepted.json()['id']}").json()
    assert done["status"] == "confirmed", done
    registry = world.contracts["registry"]
    project = registry.functions.projectOf(int(registry.functions.projectCount().call())).call()
    assert body["uri"] in project and bytes.fromhex(digest[2:]) in project


def test_storing_the_same_document_twice_gives_the_same_answer(server: str) -> None:
    first = requests.post(f"{server}/api/v1/ess/metadata", data=DOCUMENT, timeout=10).json()
    second = requests.post(f"{server}/api/v1/ess/metadata", data=DOCUMENT, timeout=10).json()
    assert first == second


def test_documents_that_are_not_json_objects_or_too_large_are_refused(world: RelayWorld) -> None:
    with TestClient(create_app(world.settings(ess_metadata_max_bytes=1_024))) as client:
        for content, start in (
            (b"[1, 2]", "the document must be a JSON object"),
            (b"{not json", "the document is not JSON"),
            ("\u00e9".encode("latin-1"), "the document is not JSON"),
        ):
            response = client.post("/api/v1/ess/metadata", content=content)
            assert response.status_code == 422 and response.json()["detail"].startswith(start), content
        large = json.dumps({"description": "x" * 2_000}).encode()
        response = client.post("/api/v1/ess/metadata", content=large)
        assert response.status_code == 413
        assert response.json()["detail"] == "the document is larger than 1024 bytes"
        missing = client.get("/api/v1/ess/metadata/0x" + "ab" * 32)
        assert missing.status_code == 404 and missing.json()["detail"].startswith("no metadata document")
        assert client.get("/api/v1/ess/metadata/not-a-hash").status_code == 422
