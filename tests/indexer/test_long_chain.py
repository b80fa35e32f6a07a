"""The mirror of the long generated chain (`cmir.dev.bench.chain`: about 20,000 events over about
a hundred epochs, with claims, governance changing the epoch length, the reward cap, the shares
and weights, and an exclusion) equals the pool's views at the head: every member's matured and
pending points, pending epoch, maturity time and claimable rewards, and the pool's totals."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import func, select
from web3 import HTTPProvider, Web3

from cmir.store import Claim, Inflow, ParameterChange, Relation, RewardFreeze
from tests.indexer.generated_chain import Served, served_chain
from tests.indexer.indexer_mirror import engine_for, run_indexer
from tests.indexer.indexer_views import pool_matches


@pytest.fixture(scope="module")
def chain() -> Iterator[Served]:
    """The long generated chain."""
    with served_chain() as served:
        yield served


def pool_contract(served: Served) -> Any:
    """The pool as a web3 contract on the served chain."""
    pool = json.loads(served.record.read_text())["contracts"]["pool"]
    w3 = Web3(HTTPProvider(served.url, request_kwargs={"timeout": 60}))
    return w3.eth.contract(address=Web3.to_checksum_address(pool["address"]), abi=pool["abi"])


def test_the_mirror_of_a_long_chain_equals_the_pool_views(
    chain: Served, new_database: Callable[[], str]
) -> None:
    db = new_database()
    stats = run_indexer(chain.url, chain.record, db, initial_block_range=50, max_block_range=200)
    assert stats.checkpoint == chain.chain.head
    assert pool_matches(pool_contract(chain), db) == []

    with engine_for(db).connect() as connection:
        epochs = connection.execute(select(func.count(func.distinct(Relation.epoch)))).scalar_one()
        paid = connection.execute(select(func.count()).where(Claim.amount > 0)).scalar_one()
        over_cap = select(func.count()).where(Inflow.members_to_ess > 0, Inflow.to_members > 0)
        capped = connection.execute(over_cap).scalar_one()
        (freeze,) = connection.execute(select(RewardFreeze.__table__)).mappings().all()
        parameters = set(connection.execute(select(ParameterChange.parameter)).scalars())
        clocks = connection.execute(
            select(func.count()).where(ParameterChange.parameter == "epoch_length")
        ).scalar_one()
        fees = connection.execute(select(func.count()).where(Inflow.kind == "membership_fee")).scalar_one()
    # What the chain is there to exercise actually happened.
    assert epochs >= 50
    assert paid >= 50
    assert capped > 0  # inflows beyond an epoch's reward cap
    assert freeze["matured_removed"] > 0 and freeze["pending_removed"] > 0
    assert {"epoch_reward_cap_bps", "parties_min_share_bps", "shares", "point_weights"} <= parameters
    assert clocks == 3  # the deployment's and two changes
    assert fees >= 1
