"""Points maturity and the epoch clock as a user checks them against the chain: the pool's epoch
figures equal the pool's views at the indexed block, each inflow names its epoch and what of
the members' share went to ESS, and a member's pending points show as matured once the indexed
block's time has passed the end of their epoch (no event marks that moment)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from web3.types import RPCEndpoint

from cmir.api.app import create_app
from tests.api.helpers import World, get, pages, units
from tests.indexer.indexer_chain import EUR, Dao
from tests.indexer.indexer_mirror import dispose_engine, run_indexer

BPS = 10_000
INFLOW_EVENTS = ("RelationPaid", "Contributed", "MembershipFeeReceived", "SurplusAccounted")
EPOCH_FIGURES = (
    "matured_points",
    "pending_points",
    "epoch",
    "epoch_length",
    "epoch_reward_cap_bps",
    "max_epoch_reward_cap_bps",
    "parties_min_share_bps",
)


def seconds(value: str | None) -> int | None:
    """Unix seconds of an API time (RFC 3339), or None."""
    return None if value is None else int(datetime.fromisoformat(value).timestamp())


def ceil_div(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded up."""
    return -(-numerator // denominator)


def chain_inflows(dao: Dao) -> dict[tuple[str, int], tuple[int, int]]:
    """Every inflow on chain by (transaction, log index): (its epoch, what of the members' share
    went to ESS: ``toEss - ceil(amount * essBps / 10,000)`` with the shares then in force; a
    surplus is booked to ESS whole and had no members' share)."""
    changes = sorted(
        ((e.blockNumber, e.logIndex), int(e.args.newShares["essBps"]))
        for e in dao.pool.events.SharesChanged.get_logs(from_block=0)
    )
    inflows: dict[tuple[str, int], tuple[int, int]] = {}
    for name in INFLOW_EVENTS:
        for event in getattr(dao.pool.events, name).get_logs(from_block=0):
            position = (event.blockNumber, event.logIndex)
            ess_bps = [bps for at, bps in changes if at < position][-1]
            amount, to_ess = int(event.args.amount), int(event.args.split["toEss"])
            share = 0 if name == "SurplusAccounted" else to_ess - ceil_div(amount * ess_bps, BPS)
            epoch = (
                int(event.args.epoch)
                if name == "RelationPaid"
                else dao.pool.functions.epoch().call(block_identifier=event.blockNumber)
            )
            inflows[("0x" + event.transactionHash.hex().removeprefix("0x"), event.logIndex)] = (epoch, share)
    return inflows


def test_pool_epoch_figures_equal_the_chain_views(client: TestClient, world: World) -> None:
    body = get(client, "/pool")
    pool = world.dao.pool.functions
    at = {"block_identifier": body["as_of"]["block"]}
    epoch = pool.epoch().call(**at)
    assert body["epoch"] == epoch >= 1
    _origin, length, _origin_epoch = pool.epochClock().call(**at)
    assert body["epoch_length"] == length
    assert seconds(body["epoch_ends_at"]) == pool.epochEndsAt(epoch).call(**at)
    assert body["epoch_reward_cap_bps"] == pool.epochRewardCapBps().call(**at)
    assert body["max_epoch_reward_cap_bps"] == pool.maxEpochRewardCapBps().call(**at)
    assert body["parties_min_share_bps"] == pool.partiesMinShareBps().call(**at)
    totals = pool.totals().call(**at)
    matured, pending, epoch_now = totals[7], totals[8], totals[10]
    assert (int(body["matured_points"]), int(body["pending_points"]), body["epoch"]) == (
        matured,
        pending,
        epoch_now,
    )
    expected = sum(share for _, share in chain_inflows(world.dao).values())
    assert units(body["members_to_ess"]) == expected
    # the reconciliation reads the same views and finds every epoch figure equal
    figures = {f["name"]: f for f in get(client, "/reconciliation")["figures"]}
    for name in EPOCH_FIGURES:
        assert figures[name]["status"] == "ok", figures[name]
        assert figures[name]["database"] == figures[name]["chain"] is not None


def test_each_inflow_names_its_epoch_and_the_members_share_gone_to_ess(
    client: TestClient, world: World
) -> None:
    inflows = chain_inflows(world.dao)
    flows = [f for f in pages(client, "/flows", limit=50) if f["direction"] == "in"]
    assert len(flows) == len(inflows)
    for flow in flows:
        epoch, share = inflows[(flow["tx_hash"], flow["log_index"])]
        assert (flow["epoch"], units(flow["members_to_ess"])) == (epoch, share), flow["id"]
        assert units(flow["members_to_ess"]) <= units(flow["split"]["ess"])
    assert sum(units(f["members_to_ess"]) for f in flows) == units(get(client, "/pool")["members_to_ess"])
    for flow in pages(client, "/flows", direction="out"):
        assert flow["epoch"] is None and flow["members_to_ess"] is None


@contextmanager
def chain_snapshot(dao: Dao) -> Iterator[None]:
    """Changes made to the session's chain inside are undone afterwards (clock included)."""
    snapshot = dao.w3.provider.make_request(RPCEndpoint("evm_snapshot"), [])["result"]
    try:
        yield
    finally:
        dao.w3.provider.make_request(RPCEndpoint("evm_revert"), [snapshot])


class Mirror:
    """A copy of the world's database that the indexer brings up to the chain's head on demand,
    and the API over it (no cache outliving a checkpoint)."""

    def __init__(self, world: World, tmp_path: Path) -> None:
        self.world = world
        path = tmp_path / "mirror.sqlite3"
        with (
            closing(sqlite3.connect(world.db_url.removeprefix("sqlite:///"))) as source,
            closing(sqlite3.connect(path)) as target,
        ):
            source.backup(target)
        self.url = f"sqlite:///{path}"

    def index(self) -> None:
        """Index the chain up to its head."""
        dao = self.world.dao
        stats = run_indexer(dao.url, dao.record_path, self.url, metadata_file_root=self.world.metadata_dir)
        dispose_engine(self.url)
        assert stats.checkpoint == dao.head()

    @contextmanager
    def client(self) -> Iterator[TestClient]:
        """The API over the copy."""
        settings = self.world.settings(
            database_url=self.url, checkpoint_ttl=0, response_cache_mb=0, head_cache_seconds=0
        )
        with TestClient(create_app(settings)) as client:
            yield client


def assert_member_matches_the_chain(client: TestClient, dao: Dao, address: str) -> dict[str, Any]:
    """The API's member next to the pool's views at the indexed block; returns the member."""
    one: dict[str, Any] = get(client, f"/members/{address}")
    at = {"block_identifier": get(client, "/pool")["as_of"]["block"]}
    matured, pending, pending_epoch, matures_at = dao.pool.functions.memberPoints(address).call(**at)
    assert (int(one["matured_points"]), int(one["pending_points"])) == (matured, pending)
    assert (one["pending_epoch"], seconds(one["matures_at"])) == (pending_epoch or None, matures_at or None)
    assert int(one["points"]) == dao.pool.functions.pointsOf(address).call(**at)
    assert units(one["claimable"]) == dao.pool.functions.claimableOf(address).call(**at)
    listed = {m["address"]: m for m in get(client, "/members", limit=200)["items"]}
    assert listed[address] == {k: one[k] for k in listed[address]}
    return one


def test_pending_points_show_as_matured_once_their_epoch_has_ended(world: World, tmp_path: Path) -> None:
    """A relation's points are pending with the date they mature; once the indexed block's time
    passes that date they show as matured (the chain has no event for it), then share in the next
    inflow; every figure equals the pool's views at the indexed block at each step."""
    dao = world.dao
    payer, counterparty = dao.accounts[2], dao.accounts[3]
    mirror = Mirror(world, tmp_path)
    with chain_snapshot(dao), mirror.client() as client:
        fee = max(dao.pool.functions.minRelationFee().call(), 10 * EUR)
        dao.send(dao.pool, "payRelation", counterparty, fee, b"\x42" * 32, sender=payer)
        mirror.index()
        pending = assert_member_matches_the_chain(client, dao, counterparty)
        assert int(pending["pending_points"]) > 0
        matures_at = seconds(pending["matures_at"])
        assert matures_at is not None
        pool = get(client, "/pool")
        assert pool["epoch"] == pending["pending_epoch"]
        assert seconds(pool["epoch_ends_at"]) == matures_at
        assert int(pool["pending_points"]) >= int(pending["pending_points"])

        # the clock passes the end of the epoch: the same row, read later, is matured
        dao.travel(matures_at - dao.now())
        assert dao.now() >= matures_at
        mirror.index()
        matured = assert_member_matches_the_chain(client, dao, counterparty)
        assert [matured[k] for k in ("pending_points", "pending_epoch", "matures_at")] == ["0", None, None]
        before = int(pending["matured_points"]) + int(pending["pending_points"])
        assert int(matured["matured_points"]) == before
        pool = get(client, "/pool")
        assert pool["pending_points"] == "0"
        assert pool["epoch"] > pending["pending_epoch"]

        # the next inflow shares among them; the rest of the members stay equal to the chain
        dao.send(dao.pool, "contribute", 50 * EUR, "après l'époque", sender=dao.accounts[9])
        mirror.index()
        assert_member_matches_the_chain(client, dao, counterparty)
        for member in get(client, "/members", limit=200)["items"]:
            assert_member_matches_the_chain(client, dao, member["address"])
        figures = get(client, "/reconciliation")
        assert figures["status"] == "ok", [f for f in figures["figures"] if f["status"] != "ok"]
