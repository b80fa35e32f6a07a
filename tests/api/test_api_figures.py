"""Figures a user would check against the chain: the pool, reconciliation, members, flows and the
social-utility ratio, over a database filled by the real indexer from a real anvil scenario."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from web3.logs import DISCARD
from web3.types import RPCEndpoint

from cmir.api.app import create_app
from tests.api.helpers import World, get, pages, units

ZERO = "0x0000000000000000000000000000000000000000"


def test_pool_buckets_equal_the_contract_views(client: TestClient, world: World) -> None:
    pool = world.dao.pool
    body = get(client, "/pool")
    totals = pool.functions.totals().call()
    (
        received,
        members_received,
        ess_received,
        collective_received,
        claimed,
        disbursed,
        spent,
    ) = totals[:7]
    assert units(body["total_received"]) == received
    buckets = body["buckets"]
    assert units(buckets["members"]["received"]) == members_received
    assert units(buckets["members"]["available"]) == pool.functions.membersAvailable().call()
    assert units(buckets["members"]["spent"]) == claimed
    assert units(buckets["ess"]["received"]) == ess_received
    assert units(buckets["ess"]["available"]) == pool.functions.essAvailable().call()
    assert units(buckets["ess"]["spent"]) == disbursed
    assert units(buckets["collective"]["received"]) == collective_received
    assert units(buckets["collective"]["available"]) == pool.functions.collectiveAvailable().call()
    assert units(buckets["collective"]["spent"]) == spent
    assert "undistributed_rewards" not in body and "total_points" not in body
    assert units(body["balance"]) == world.dao.token.functions.balanceOf(pool.address).call()
    shares = body["shares"]
    assert (shares["members_bps"], shares["ess_bps"], shares["collective_bps"]) == tuple(
        pool.functions.shares().call()
    )
    assert shares["ess_floor_bps"] == pool.functions.essFloorBps().call()
    assert units(body["min_relation_fee"]) == pool.functions.minRelationFee().call()
    assert body["steward"] == pool.functions.steward().call()
    assert body["as_of"]["block"] == world.dao.head()
    # Display strings are exact decimals of the units (6 decimals).
    assert body["total_received"]["display"] == display(received)
    assert body["buckets"]["ess"]["spent"]["display"] == display(disbursed)


def seconds(value: str | None) -> int | None:
    """Unix seconds of an API time (RFC 3339), or None."""
    return None if value is None else int(datetime.fromisoformat(value).timestamp())


def display(value: int) -> str:
    """The decimal string of `value` base units of a 6-decimal token (at least 2 places)."""
    whole, fraction = divmod(value, 10**6)
    return f"{whole}.{f'{fraction:06d}'.rstrip('0').ljust(2, '0')}"


def test_reconciliation_is_ok_at_the_indexed_block(client: TestClient, world: World) -> None:
    body = get(client, "/reconciliation")
    assert body["status"] == "ok", [f for f in body["figures"] if f["status"] != "ok"]
    assert body["mismatches"] == 0
    assert body["chain_block_hash"] == body["as_of"]["block_hash"]
    figures = {f["name"]: f for f in body["figures"]}
    balance = world.dao.token.functions.balanceOf(world.dao.pool.address).call()
    assert figures["balance"]["chain"] == figures["balance"]["database"] == str(balance)
    for name in ("total_received", "ess_available", "collective_available", "members_available", "steward"):
        assert figures[name]["status"] == "ok"
        assert figures[name]["chain"] == figures[name]["database"]


def test_reconciliation_reads_the_chain_at_the_indexed_block(world: World) -> None:
    """After the chain moves on (a new inflow the database has not indexed), the figures still
    agree: the chain is read at the indexed block, not at the head."""
    dao = world.dao
    with TestClient(create_app_for(world)) as fresh:
        before = get(fresh, "/reconciliation")
        snapshot = dao.w3.provider.make_request(RPCEndpoint("evm_snapshot"), [])["result"]
        try:
            dao.send(dao.pool, "contribute", 1_000_000, "après l'indexation", sender=dao.accounts[9])
            fresh.app.state.cmir.chain_cache.clear()  # type: ignore[attr-defined]
            after = get(fresh, "/reconciliation")
            assert after["status"] == "ok"
            assert after["as_of"] == before["as_of"]
            health = get(fresh, "/health")
            assert health["indexer"]["lag_blocks"] >= 1
        finally:
            dao.w3.provider.make_request(RPCEndpoint("evm_revert"), [snapshot])


def create_app_for(world: World) -> FastAPI:
    """A fresh application (its own caches) over the world's database."""
    return create_app(world.settings(head_cache_seconds=0, response_cache_mb=0))


def test_every_member_matches_the_chain(client: TestClient, world: World) -> None:
    dao = world.dao
    listed = get(client, "/members", limit=200)
    members = {m["address"]: m for m in listed["items"]}
    assert listed["page"]["total"] == len(members) == 8
    for address in dao.accounts:
        sponsor, joined_at, _kind, sent, excluded_at, _votes_from = dao.membership.functions.memberOf(
            address
        ).call()
        if joined_at == 0:
            assert address not in members
            assert client.get(f"/api/v1/members/{address}").status_code == 404
            continue
        one = get(client, f"/members/{address.lower()}")
        assert one["address"] == address
        assert (one["sponsor"] or ZERO) == sponsor
        assert int(one["points"]) == dao.pool.functions.pointsOf(address).call()
        matured, pending, pending_epoch, matures_at = dao.pool.functions.memberPoints(address).call()
        assert (int(one["matured_points"]), int(one["pending_points"])) == (matured, pending), address
        assert one["pending_epoch"] == (pending_epoch or None)
        assert seconds(one["matures_at"]) == (matures_at or None)
        assert units(one["claimable"]) == dao.pool.functions.claimableOf(address).call(), address
        assert units(one["earned"]) == units(one["claimed"]) + units(one["claimable"])
        assert one["invitations_sent"] == sent
        assert one["status"] == ("excluded" if excluded_at else "active")
        assert members[address]["claimable"] == one["claimable"]
        for invitee in one["invitees"]:
            assert dao.membership.functions.memberOf(invitee["address"]).call()[0] == address
        if sponsor != ZERO:
            assert one["sponsor_member"]["address"] == sponsor
        mine = {"member": address}
        claimed = dao.pool.events.RewardsClaimed.get_logs(from_block=0, argument_filters=mine)
        newest = sorted(((e.blockNumber, e.logIndex, e.args.amount) for e in claimed), reverse=True)[:10]
        shown = [(c["block_number"], c["log_index"], units(c["amount"])) for c in one["recent_claims"]]
        assert shown == newest, address
        frozen = dao.pool.events.MemberRewardsFrozen.get_logs(from_block=0, argument_filters=mine)
        assert (one["freeze"] is not None) == bool(frozen) == bool(excluded_at)
        if frozen:
            assert int(one["freeze"]["matured_removed"]) == frozen[0].args.maturedRemoved
            assert int(one["freeze"]["pending_removed"]) == frozen[0].args.pendingRemoved
            assert units(one["freeze"]["accrued"]) == frozen[0].args.accrued
        relations = pages(client, f"/members/{address}/relations", limit=1)
        assert len(relations) == one["relations_paid"] + one["relations_received"]
        for relation in relations:
            paid = dao.w3.eth.get_transaction_receipt(relation["tx_hash"])
            (event,) = dao.pool.events.RelationPaid().process_receipt(paid, errors=DISCARD)
            assert relation["epoch"] == event.args.epoch
        assert sum(units(r["amount"]) for r in relations if r["direction"] == "paid") == units(
            one["amount_paid"]
        )


def test_member_filters(client: TestClient, world: World) -> None:
    a = world.dao.accounts
    excluded = get(client, "/members", status="excluded")
    assert [m["address"] for m in excluded["items"]] == [a[6]]
    detail = get(client, f"/members/{a[6]}")
    assert detail["exclusion_reason"] == "inactif depuis un an"
    assert detail["freeze"] is not None
    pilotes = get(client, "/members", kind="Pilote")
    assert {m["address"] for m in pilotes["items"]} == {a[1], a[6]}
    sponsored = get(client, "/members", sponsor=a[1].lower())
    assert {m["address"] for m in sponsored["items"]} == {a[5]}
    assert get(client, "/members", q=a[5][2:12].lower())["items"][0]["address"] == a[5]
    everyone = get(client, "/members", limit=200)["items"]
    days = sorted({date.fromisoformat(m["joined_at"][:10]) for m in everyone})
    assert get(client, "/members", joined_from=days[0], joined_to=days[-1])["page"]["total"] == 8
    assert get(client, "/members", joined_to=days[0] - timedelta(days=1))["page"]["total"] == 0
    assert get(client, "/members", joined_from=days[-1] + timedelta(days=1))["page"]["total"] == 0
    by_points = get(client, "/members", sort="points", order="desc")["items"]
    assert [int(m["points"]) for m in by_points] == sorted(
        (int(m["points"]) for m in by_points), reverse=True
    )
    # Pages of 2 cover everyone once.
    seen: list[str] = []
    offset: int | None = 0
    while offset is not None:
        body = get(client, "/members", limit=2, offset=offset)
        seen += [m["address"] for m in body["items"]]
        offset = body["page"]["next_offset"]
    assert sorted(seen) == sorted(m["address"] for m in everyone)


def test_flows_sum_to_the_totals(client: TestClient, world: World) -> None:
    totals = world.dao.pool.functions.totals().call()
    received, _, _, _, claimed, disbursed, spent = totals[:7]
    flows = pages(client, "/flows", limit=7)
    keys = [(f["block_number"], f["log_index"]) for f in flows]
    assert keys == sorted(keys, reverse=True) and len(set(keys)) == len(keys)
    inflows = [f for f in flows if f["direction"] == "in"]
    assert sum(units(f["amount"]) for f in inflows) == received
    for f in inflows:
        split = f["split"]
        assert units(split["members"]) + units(split["ess"]) + units(split["collective"]) == units(
            f["amount"]
        )
    out = {
        b: sum(units(f["amount"]) for f in flows if f["bucket"] == b)
        for b in ("members", "ess", "collective")
    }
    assert out == {"members": claimed, "ess": disbursed, "collective": spent}
    kinds = {f["kind"] for f in flows}
    assert kinds == {
        "relation",
        "contribution",
        "membership_fee",
        "surplus",
        "claim",
        "ess_funding",
        "collective_spend",
    }
    # Every flow points at a real transaction in the block it names.
    for f in flows[:5]:
        receipt = world.dao.w3.eth.get_transaction_receipt(f["tx_hash"])
        assert receipt["blockNumber"] == f["block_number"]
        assert any(log["logIndex"] == f["log_index"] for log in receipt["logs"])
    # Filters.
    relations = pages(client, "/flows", kind="relation")
    assert len(relations) == len(world.dao.pool.events.RelationPaid.get_logs(from_block=0)) >= 6
    assert all(f["kind"] == "relation" and f["counterparty"] for f in relations)
    ess_out = pages(client, "/flows", direction="out", bucket="ess")
    assert [f["project_id"] for f in ess_out] == ["1"]
    assert ess_out[0]["proposal_id"] == str(world.outcome.proposals["executed"])
    mine = pages(client, "/flows", address=world.dao.accounts[9])
    assert {f["kind"] for f in mine} >= {"contribution", "surplus", "collective_spend"}
    first, last = flows[-1], flows[len(flows) // 2]
    low, high = first["block_number"] + 1, last["block_number"]
    in_blocks = pages(client, "/flows", from_block=low, to_block=high)
    assert in_blocks == [f for f in flows if low <= f["block_number"] <= high]
    times = sorted({f["time"] for f in flows})
    assert len(times) >= 2
    in_time = pages(client, "/flows", from_time=times[0], to_time=times[-1])
    assert in_time == [f for f in flows if f["time"] < times[-1]]
    assert pages(client, "/flows", from_time=times[-1]) == [f for f in flows if f["time"] == times[-1]]
    assert in_blocks and in_time
    # Totals per period add up to the pool's totals.
    for period in ("day", "week", "month"):
        body = get(client, "/flows/totals", period=period)
        assert sum(units(p["inflow"]) for p in body["points"]) == received
        assert sum(units(p["outflow"]) for p in body["points"]) == claimed + disbursed + spent
        assert sum(sum(p["counts"].values()) for p in body["points"]) == len(flows)


def test_sankey_balances_every_bucket(client: TestClient, world: World) -> None:
    body = get(client, "/flows/sankey")
    totals = world.dao.pool.functions.totals().call()
    received = {"members": totals[1], "ess": totals[2], "collective": totals[3]}
    node_ids = {n["id"] for n in body["nodes"]}
    for link in body["links"]:
        assert link["source"] in node_ids and link["target"] in node_ids
    for bucket, amount in received.items():
        node = f"bucket:{bucket}"
        assert sum(units(link["value"]) for link in body["links"] if link["target"] == node) == amount
        assert sum(units(link["value"]) for link in body["links"] if link["source"] == node) == amount
    assert "project:1" in node_ids


def test_social_utility_ratios(client: TestClient, world: World) -> None:
    totals = world.dao.pool.functions.totals().call()
    received, ess_received, disbursed = totals[0], totals[2], totals[5]
    body = get(client, "/social-utility", period="day")
    assert body["disbursed_ratio"]["value"] == f"0.{disbursed * 10**6 // received:06d}"
    assert body["allocated_ratio"]["value"] == f"0.{ess_received * 10**6 // received:06d}"
    assert units(body["allocated_ratio"]["denominator"]) == received
    last = body["series"][-1]
    assert last["disbursed_ratio"] == body["disbursed_ratio"]
    assert ess_received * 10_000 >= received * body["ess_floor_bps"]  # every inflow gave ESS its floor
    history = get(client, "/pool/history", period="week")
    assert history["points"][-1]["buckets"] == get(client, "/pool")["buckets"]


def test_responses_are_cached_per_checkpoint(world: World, tmp_path: Path) -> None:
    """A response is served again while the checkpoint stays; once the indexer moves it (here
    simulated on a copy of the database), the next request computes a fresh one."""
    copy = tmp_path / "copy.sqlite3"
    source = sqlite3.connect(world.db_url.removeprefix("sqlite:///"))
    target = sqlite3.connect(copy)
    source.backup(target)
    source.close()
    settings = world.settings(database_url=f"sqlite:///{copy}", checkpoint_ttl=0)
    with TestClient(create_app(settings)) as client:
        first = client.get("/api/v1/pool")
        second = client.get("/api/v1/pool")
        assert (first.headers["x-cache"], second.headers["x-cache"]) == ("miss", "hit")
        assert first.json() == second.json()
        assert client.get("/api/v1/health").headers.get("x-cache") is None
        block = first.json()["as_of"]["block"]
        target.execute(
            "UPDATE checkpoints SET block_number = ?, block_hash = ?", (block + 1, "0x" + "ab" * 32)
        )
        target.commit()
        third = client.get("/api/v1/pool")
        assert third.headers["x-cache"] == "miss"
        assert third.json()["as_of"]["block"] == block + 1
    target.close()
