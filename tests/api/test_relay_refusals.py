"""What the relayer refuses, each with a 4xx and a JSON ``detail``: a forged signature, a replayed
request, a member over its daily budget, an unknown target or function, a call that would
revert (its custom error explained as the CLI does), someone who is not a member, a relayer
switched off; and what it checks before paying (value, deadline, nonce, gas)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from eth_account import Account
from fastapi.testclient import TestClient

from tests.api.relay_world import ABEILLE, EUR, RelayWorld, api, relay_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayWorld]:
    with relay_world(tmp_path_factory.mktemp("refusals")) as built:
        yield built


@pytest.fixture(scope="module")
def client(world: RelayWorld) -> Iterator[TestClient]:
    with api(world) as test_client:
        yield test_client


def refused(client: TestClient, path: str, body: object, status: int) -> dict[str, object]:
    response = client.post(f"/api/v1/relay/{path}", json=body)
    assert response.status_code == status, response.text
    detail: dict[str, object] = response.json()
    assert isinstance(detail["detail"], str) and detail["detail"]
    return detail


def newcomer() -> str:
    return str(Account.create().address)


def test_a_forged_signature_is_refused(world: RelayWorld, client: TestClient) -> None:
    pilote, abeille = world.founders[0], world.founders[1]
    body = world.forward(pilote, "membership", "invite", newcomer(), ABEILLE, key=abeille)
    detail = refused(client, "forward", body, 400)
    assert detail["detail"] == f"forged signature: it was not made by {pilote.address} over this request"
    proposal = world.propose(pilote, "Une proposition pour voter")
    world.travel(2)
    ballot = world.ballot(abeille, proposal, 1, "pour")
    ballot["voter"] = pilote.address  # someone else's signature, cast as the Pilote's vote
    vote = refused(client, "vote", ballot, 400)
    assert str(vote["detail"]).startswith(f"forged signature: it was not made by {pilote.address}")


def test_a_replayed_request_is_refused(world: RelayWorld, client: TestClient) -> None:
    pilote = world.founders[0]
    body = world.forward(pilote, "membership", "invite", newcomer(), ABEILLE)
    assert client.post("/api/v1/relay/forward", json=body).status_code == 202
    again = refused(client, "forward", body, 409)
    assert str(again["detail"]).startswith("replayed request: this signed request was received before")
    other = world.forward(pilote, "membership", "invite", newcomer(), ABEILLE)  # same nonce, still pending
    pending = refused(client, "forward", other, 409)
    assert "already pending" in str(pending["detail"])
    world.send_all()
    assert refused(client, "forward", body, 409)["detail"] == str(again["detail"]).replace(
        "accepted", "confirmed"
    )


def test_a_member_over_its_daily_budget_is_refused(world: RelayWorld) -> None:
    abeille = world.founders[1]
    with api(world, relay_daily_requests=1) as client:
        first = world.forward(abeille, "membership", "invite", newcomer(), ABEILLE)
        assert client.post("/api/v1/relay/forward", json=first).status_code == 202
        world.send_all()
        second = world.forward(abeille, "membership", "invite", newcomer(), ABEILLE)
        response = client.post("/api/v1/relay/forward", json=second)
        assert response.status_code == 429, response.text
        assert response.json()["detail"].startswith(
            f"daily budget spent: 1 of 1 requests relayed today for {abeille.address}; it resets at"
        )
        assert int(response.headers["Retry-After"]) > 0
        budget = client.get(f"/api/v1/relay/budget/{abeille.address}").json()
        assert budget["requests_used"] == 1 and budget["requests_allowed"] == 1
    with api(world, relay_daily_gas=50_000) as client:
        response = client.post("/api/v1/relay/forward", json=second)
        assert response.status_code == 429
        assert " gas used today for " in response.json()["detail"]


def test_an_unknown_target_or_function_is_refused(world: RelayWorld, client: TestClient) -> None:
    pilote = world.founders[0]
    steward_call = world.forward(pilote, "pool", "spendCollective", pilote.address, EUR, "memo")
    detail = refused(client, "forward", steward_call, 422)
    assert str(detail["detail"]).startswith("function spendCollective of the pool contract is not relayed")
    token_call = world.forward(pilote, "token", "approve", pilote.address, EUR)
    detail = refused(client, "forward", token_call, 422)
    assert str(detail["detail"]).startswith(f"unknown target {world.contracts['token'].address}")


def test_a_call_that_would_revert_is_refused_with_its_error_explained(
    world: RelayWorld, client: TestClient
) -> None:
    abeille, pilote = world.founders[1], world.founders[0]
    deadline = world.now() + 3_600
    v, r, s = world.permit(abeille, EUR, deadline)
    body = world.forward(
        abeille, "pool", "payRelationWithPermit", pilote.address, EUR, b"\1" * 32, deadline, v, r, s
    )
    detail = refused(client, "forward", body, 422)
    assert detail["error"] == "RedistributionFeeBelowMinimum"
    explanation = str(detail["explanation"])
    assert explanation.startswith("RedistributionFeeBelowMinimum(amount=1.00 ")
    assert str(detail["detail"]) == f"the call would revert: {explanation}"


def test_someone_who_is_not_a_member_is_refused(world: RelayWorld, client: TestClient) -> None:
    outsider = Account.create()
    detail = refused(client, "forward", world.forward(outsider, "pool", "claim"), 403)
    assert (
        detail["detail"] == f"{outsider.address} is not an active member: the relayer pays for members only"
    )


def test_value_deadline_nonce_and_gas_are_checked(world: RelayWorld, client: TestClient) -> None:
    pilote = world.founders[0]
    now = world.now()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"value": 1}, "value must be 0: the relayer sends no ether"),
        ({"deadline": now - 1}, "the deadline"),
        ({"deadline": now + 10 * 86_400}, "the deadline is more than 86400 s ahead"),
        ({"gas": 5_000_000}, "gas 5000000 is above the relayer's cap of 1500000"),
        ({"nonce": 99}, "nonce 99 is not the forwarder's next nonce"),
    ]
    for fields, start in cases:
        body = world.forward(pilote, "membership", "invite", newcomer(), ABEILLE, **fields)
        assert str(refused(client, "forward", body, 422)["detail"]).startswith(start), fields
    malformed = world.forward(pilote, "pool", "claim")
    malformed["signature"] = "0x1234"
    assert client.post("/api/v1/relay/forward", json=malformed).status_code == 422


def test_a_disabled_relayer_answers_503(world: RelayWorld) -> None:
    with api(world, relay_enabled=False) as client:
        body = world.forward(world.founders[0], "pool", "claim")
        detail = refused(client, "forward", body, 503)
        assert detail["detail"] == "the relayer is disabled on this server (CMIR_RELAY_ENABLED=false)"
        assert client.get("/api/v1/relay").json()["enabled"] is False
        assert client.get("/api/v1/app/config").json()["relayer"] is False
