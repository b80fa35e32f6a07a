"""``/relations``: every paid relation, whole (both sponsors, every party's points), in keyset pages,
equal to the pool's RelationPaid events."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.helpers import World, get, pages, units

ZERO = "0x0000000000000000000000000000000000000000"


def _sponsor(address: str) -> str | None:
    return None if address == ZERO else address


def test_every_relation_equals_its_event(client: TestClient, world: World) -> None:
    logs = world.dao.pool.events.RelationPaid.get_logs(from_block=0)
    assert len(logs) >= 6
    items = pages(client, "/relations", limit=4)
    keys = [(r["block_number"], r["log_index"]) for r in items]
    assert keys == sorted(keys, reverse=True) and len(set(keys)) == len(keys) == len(logs)
    by_key = {(r["block_number"], r["log_index"]): r for r in items}
    flows = {f["id"]: f for f in pages(client, "/flows", kind="relation", limit=200)}
    sponsored = 0
    for log in logs:
        a: Any = log.args
        item = by_key[(log.blockNumber, log.logIndex)]
        points, split = a.points, a.split
        assert item["id"] == f"{log.blockNumber}-{log.logIndex}"
        assert item["tx_hash"] == "0x" + log.transactionHash.hex().removeprefix("0x")
        assert (item["payer"], item["counterparty"]) == (a.payer, a.counterparty)
        assert item["relation_ref"] == "0x" + a.relationRef.hex().removeprefix("0x")
        assert units(item["amount"]) == a.amount
        assert (units(item["to_members"]), units(item["to_ess"]), units(item["to_collective"])) == (
            split["toMembers"],
            split["toEss"],
            split["toCollective"],
        )
        assert item["epoch"] == a.epoch
        assert int(item["reward_per_point"]) == a.rewardPerPoint
        assert item["payer_sponsor"] == _sponsor(points["payerSponsor"])
        assert item["counterparty_sponsor"] == _sponsor(points["counterpartySponsor"])
        assert [int(item[f"{who}_points"]) for who in ("payer", "counterparty", "payer_sponsor")] == [
            points["payerPoints"],
            points["counterpartyPoints"],
            points["payerSponsorPoints"],
        ]
        assert int(item["counterparty_sponsor_points"]) == points["counterpartySponsorPoints"]
        assert item["members_to_ess"] == flows[item["id"]]["members_to_ess"]
        sponsored += item["payer_sponsor"] is not None or item["counterparty_sponsor"] is not None
    assert sponsored, "the scenario has sponsored members"


def test_relations_by_block_range_and_bad_parameters(client: TestClient) -> None:
    everything = pages(client, "/relations", limit=200)
    low, high = everything[-1]["block_number"] + 1, everything[len(everything) // 2]["block_number"]
    ranged = pages(client, "/relations", from_block=low, to_block=high, limit=2)
    assert ranged == [r for r in everything if low <= r["block_number"] <= high]
    assert get(client, "/relations", to_block=everything[-1]["block_number"] - 1)["items"] == []
    for params in ({"from_block": 5, "to_block": 4}, {"cursor": "nope"}, {"limit": 0}):
        assert client.get("/api/v1/relations", params=params).status_code == 422
