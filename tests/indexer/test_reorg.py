"""Reorganisations: after anvil replaces the last 1, 3 or 10 blocks with other transactions
(``anvil_reorg``, same height) or drops them and mines others (``anvil_rollback``), the mirror
equals a fresh index of the new chain. A reorg deeper than the kept window stops the indexer."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import deploy_dao
from eth_utils import keccak
from indexer_chain import EUR, Dao
from indexer_mirror import diff, dump, run_indexer

from cmir.devchain import rpc
from indexer.errors import ReorgTooDeepError
from indexer.sync import Indexer

MAX = 2**256 - 1
_counter = itertools.count()


@pytest.fixture(scope="module")
def dao(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dao]:
    """A deployed chain with five members holding test euros."""
    anvil, dao = deploy_dao(tmp_path_factory.mktemp("reorg"))
    try:
        a = dao.accounts
        for account in a[:10]:
            dao.send(dao.token, "mint", account, 100_000 * EUR, sender=account)
            dao.send(dao.token, "approve", dao.pool.address, MAX, sender=account)
        for sponsor, invitee in ((a[1], a[5]), (a[2], a[6])):
            dao.send(dao.membership, "invite", invitee, 1, sender=sponsor)
            dao.send(dao.membership, "acceptInvitation", sender=invitee)
        yield dao
    finally:
        anvil.stop()


def members(dao: Dao) -> list[str]:
    """Active members of the fixture chain."""
    a = dao.accounts
    return [a[1], a[2], a[3], a[5], a[6]]


def call(dao: Dao, n: int) -> tuple[Any, str, tuple[Any, ...], str]:
    """The n-th transaction of a varied stream: relations, contributions and claims."""
    people = members(dao)
    payer, counterparty = people[n % 5], people[(n * 2 + 1) % 5]
    if n % 4 == 3:
        return dao.pool, "claim", (), people[(n // 4) % 5]
    if n % 4 == 2 or payer == counterparty:
        return dao.pool, "contribute", (EUR + n, f"don {n}"), dao.accounts[9]
    return dao.pool, "payRelation", (counterparty, 10 * EUR + n * 1_001, keccak(text=f"ref-{n}")), payer


def activity(dao: Dao, blocks: int) -> None:
    """Mine `blocks` blocks of one transaction each (a claim with nothing to claim becomes a
    contribution, so every transaction succeeds)."""
    for _ in range(blocks):
        n = next(_counter)
        contract, function, args, sender = call(dao, n)
        if function == "claim" and dao.pool.functions.claimableOf(sender).call() == 0:
            contract, function, args, sender = dao.pool, "contribute", (EUR, f"don {n}"), dao.accounts[9]
        dao.send(contract, function, *args, sender=sender)


def replacements(dao: Dao, count: int) -> list[dict[str, Any]]:
    """`count` transactions unlike anything mined before (new amounts, memos, references)."""
    requests = []
    for i in range(count):
        n = 10_000 + next(_counter)
        if i % 2:
            data = dao.calldata(dao.pool, "contribute", 2 * EUR + n, f"reorg {n}")
            sender = dao.accounts[8]
        else:
            people = members(dao)
            data = dao.calldata(
                dao.pool, "payRelation", people[(i + 2) % 5], 11 * EUR + n, keccak(text=f"reorg-{n}")
            )
            sender = people[(i + 1) % 5]
        requests.append({"from": sender, "to": dao.pool.address, "data": data, "gas": hex(1_000_000)})
    return requests


def index(dao: Dao, db: str, **overrides: Any) -> Any:
    """Index the chain into `db`, small batches."""
    return run_indexer(dao.url, dao.record_path, db, **overrides)


@pytest.mark.parametrize("depth", [1, 3, 10])
@pytest.mark.parametrize("mode", ["anvil_reorg", "anvil_rollback"])
def test_reorg_then_the_mirror_equals_a_fresh_index(
    dao: Dao, new_database: Callable[[], str], depth: int, mode: str
) -> None:
    db = new_database()
    activity(dao, 4)
    index(dao, db)
    activity(dao, depth + 2)
    index(dao, db)
    head = dao.head()
    before = dao.w3.eth.get_block(head)["hash"]
    if mode == "anvil_reorg":
        txs = replacements(dao, depth + 1)
        rpc(dao.url, "anvil_reorg", [depth, [[tx, i % depth] for i, tx in enumerate(txs)]])
        assert dao.head() == head
    else:
        rpc(dao.url, "anvil_rollback", [depth])
        for tx in replacements(dao, max(depth - 1, 1)):  # a shorter chain when depth > 1
            dao.w3.eth.wait_for_transaction_receipt(dao.w3.eth.send_transaction(tx))  # type: ignore[arg-type]
    assert dao.w3.eth.get_block(head if dao.head() >= head else dao.head())["hash"] != before
    stats = index(dao, db)
    assert stats.reorgs == 1
    assert stats.checkpoint == dao.head()
    fresh = new_database()
    index(dao, fresh)
    assert diff(dump(db), dump(fresh)) == []


def test_a_reorg_deeper_than_the_window_stops_the_indexer(
    dao: Dao, new_database: Callable[[], str], tmp_path: Path
) -> None:
    db = new_database()
    activity(dao, 6)
    index(dao, db, reorg_window=3)
    mirrored = dump(db)
    rpc(dao.url, "anvil_reorg", [6, [[tx, i] for i, tx in enumerate(replacements(dao, 6))]])
    with pytest.raises(ReorgTooDeepError, match="deeper than the window"):
        index(dao, db, reorg_window=3)
    assert diff(mirrored, dump(db)) == []  # nothing was touched


def test_live_mode_follows_new_blocks(dao: Dao, new_database: Callable[[], str]) -> None:
    """`run(follow=True)` polls the head until stopped; here it is stopped after two polls."""
    from indexer_mirror import engine_for, settings_for

    db = new_database()
    indexer = Indexer(settings_for(dao.url, dao.record_path, db, poll_interval=0.05), engine=engine_for(db))
    polls = 0
    original = indexer.poll

    def poll() -> None:
        nonlocal polls
        original()
        polls += 1
        if polls == 1:
            activity(dao, 2)
        if polls == 2:
            indexer.stop.set()

    indexer.poll = poll  # type: ignore[method-assign]
    stats = indexer.run(follow=True)
    assert stats.checkpoint == dao.head()
