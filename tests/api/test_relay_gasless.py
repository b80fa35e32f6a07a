"""No ether needed: a newcomer whose key never held any joins, pays a relation with a permit,
claims and votes, each time signing only; the API checks and stores the request, the sender pays
the gas, and the chain shows the member, not the relayer, as the one who acted. The tests run in
order on one chain (each step needs the one before)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from web3.logs import DISCARD

from tests.api.relay_world import ABEILLE, EUR, RelayWorld, api, relay_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayWorld]:
    with relay_world(tmp_path_factory.mktemp("relay")) as built:
        yield built


@pytest.fixture(scope="module")
def client(world: RelayWorld) -> Iterator[TestClient]:
    with api(world) as test_client:
        yield test_client


def relayed(world: RelayWorld, client: TestClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST to the relayer (202), let the sender send it, and return its final state."""
    response = client.post(f"/api/v1/relay/{path}", json=body)
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["status"] == "accepted" and accepted["tx_hash"] is None
    world.send_all()
    final = client.get(f"/api/v1/relay/requests/{accepted['id']}").json()
    assert final["status"] == "confirmed", final
    return dict(final)


def sent_by(world: RelayWorld, request: dict[str, Any]) -> str:
    """Who sent (and paid for) the request's transaction."""
    return str(world.w3.eth.get_transaction(request["tx_hash"])["from"])


def events(world: RelayWorld, role: str, event: str, request: dict[str, Any]) -> list[Any]:
    """The `event`s of `role` in the request's transaction."""
    receipt = world.w3.eth.get_transaction_receipt(request["tx_hash"])
    found: list[Any] = getattr(world.contracts[role].events, event)().process_receipt(receipt, errors=DISCARD)
    return found


def test_a_newcomer_joins_without_ether(world: RelayWorld, client: TestClient) -> None:
    member, sponsor = world.member, world.founders[0]
    world.transact("token", "mint", member.address, 1_000 * EUR, sender=sponsor)
    world.transact("membership", "invite", member.address, ABEILLE, sender=sponsor)
    body = world.forward(member, "membership", "acceptInvitation", sponsor.address, ABEILLE)
    done = relayed(world, client, "forward", body)
    assert done["function"] == "acceptInvitation" and done["signer"] == member.address
    (joined,) = events(world, "membership", "MemberJoined", done)
    assert joined["args"]["member"] == member.address
    assert sent_by(world, done) == world.operator.address
    assert world.contracts["membership"].functions.isActiveMember(member.address).call()
    assert world.w3.eth.get_balance(member.address) == 0


def test_a_member_pays_a_relation_with_a_permit_through_the_forwarder(
    world: RelayWorld, client: TestClient
) -> None:
    member, counterparty = world.member, world.founders[1]
    amount = 25 * EUR
    deadline = world.now() + 3_600
    v, r, s = world.permit(member, amount, deadline)
    reference = b"RDV-2026-0001".ljust(32, b"\0")
    body = world.forward(
        member, "pool", "payRelationWithPermit", counterparty.address, amount, reference, deadline, v, r, s
    )
    done = relayed(world, client, "forward", body)
    (paid,) = events(world, "pool", "RelationPaid", done)
    assert paid["args"]["payer"] == member.address
    assert paid["args"]["counterparty"] == counterparty.address
    assert sent_by(world, done) == world.operator.address
    assert done["gas_used"] > 0 and done["block_number"] is not None
    assert world.contracts["token"].functions.balanceOf(member.address).call() == 975 * EUR
    assert world.w3.eth.get_balance(member.address) == 0


def test_a_member_claims_without_ether(world: RelayWorld, client: TestClient) -> None:
    member, payer, counterparty = world.member, world.founders[0], world.founders[1]
    world.travel(61)  # the member's points mature when their epoch ends
    pool = world.contracts["pool"]
    world.transact("token", "mint", payer.address, 100 * EUR, sender=payer)
    world.transact("token", "approve", pool.address, 100 * EUR, sender=payer)
    world.transact("pool", "payRelation", counterparty.address, 50 * EUR, b"\1" * 32, sender=payer)
    claimable = int(pool.functions.claimableOf(member.address).call())
    assert claimable > 0
    before = int(world.contracts["token"].functions.balanceOf(member.address).call())
    done = relayed(world, client, "forward", world.forward(member, "pool", "claim"))
    (claimed,) = events(world, "pool", "RewardsClaimed", done)
    assert claimed["args"]["member"] == member.address
    assert int(world.contracts["token"].functions.balanceOf(member.address).call()) == before + claimable
    assert world.w3.eth.get_balance(member.address) == 0


def test_a_member_votes_by_signature_without_ether(world: RelayWorld, client: TestClient) -> None:
    member = world.member
    proposal = world.propose(world.founders[0], "Relever la commission minimale à 11 €")
    world.travel(2)  # past the voting delay: the vote is open
    done = relayed(world, client, "vote", world.ballot(member, proposal, 1, "Très bon projet"))
    assert done["kind"] == "vote" and done["function"] == "castVoteWithReasonAndParamsBySig"
    (vote,) = events(world, "governor", "VoteCast", done)
    assert vote["args"]["voter"] == member.address
    assert vote["args"]["support"] == 1 and vote["args"]["reason"] == "Très bon projet"
    assert world.contracts["governor"].functions.hasVoted(proposal, member.address).call()
    assert sent_by(world, done) == world.operator.address
    assert world.w3.eth.get_balance(member.address) == 0


def test_the_member_reads_its_requests_and_budget(world: RelayWorld, client: TestClient) -> None:
    member = world.member.address
    listed = client.get("/api/v1/relay/requests", params={"signer": member.lower(), "limit": 2}).json()
    assert listed["page"]["total"] == 4 and listed["page"]["next_offset"] == 2
    assert [item["function"] for item in listed["items"]] == ["castVoteWithReasonAndParamsBySig", "claim"]
    assert all(item["status"] == "confirmed" and item["tx_hash"] for item in listed["items"])
    budget = client.get(f"/api/v1/relay/budget/{member}").json()
    assert budget["requests_used"] == 4 and budget["requests_allowed"] == 30
    assert 0 < budget["gas_used"] < budget["gas_allowed"]
    assert budget["resets_at"].endswith("T00:00:00Z")
    info = client.get("/api/v1/relay").json()
    assert info["enabled"] is True and info["forwarder"] == world.contracts["forwarder"].address
    assert "payRelationWithPermit" in info["functions"]["pool"]
    assert client.get("/api/v1/app/config").json()["relayer"] is True  # the members' app relays
    assert client.get("/api/v1/relay/requests/999").status_code == 404


def test_the_relayer_paths_are_never_served_from_the_cache(world: RelayWorld, client: TestClient) -> None:
    response = client.get(f"/api/v1/relay/budget/{world.member.address}")
    assert "x-cache" not in response.headers
