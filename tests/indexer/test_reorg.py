"""Reorganisations: after anvil replaces the last 1, 3 or 10 blocks with other transactions
(``anvil_reorg``, same height) or drops them and mines others (``anvil_rollback``), the mirror
equals a fresh index of the new chain. A reorg deeper than the kept window stops the indexer."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_utils.crypto import keccak
from sqlalchemy import func, select

from cmir.dev.devchain import rpc
from cmir.indexer.errors import ReorgTooDeepError
from cmir.indexer.sync import Indexer
from cmir.store import Attestation, DaoState, Invitation, Proposal, ProposalPayout
from tests.indexer.indexer_chain import EUR, Dao, deploy_dao
from tests.indexer.indexer_mirror import diff, dump, engine_for, run_indexer
from tests.indexer.indexer_scenario import ABEILLE, ATTESTER, GUARDIAN, PILOTE, Governance, impersonate
from tests.indexer.indexer_views import governance_matches, membership_matches

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
            dao.send(dao.membership, "acceptInvitation", sponsor, 1, sender=invitee)
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


def test_a_reorg_rolls_back_invitations_attestations_payouts_and_the_guardian(
    tmp_path: Path, new_database: Callable[[], str]
) -> None:
    """The blocks a reorganisation drops held an invitation renewed after it expired, a
    revocation, an attestation, a funding proposal (its payout row), a guardian cancellation with
    its reason and a steward's spending (the budget period): every new table and column is
    rolled back, and the mirror equals a fresh index."""
    anvil, dao = deploy_dao(tmp_path)
    try:
        a = dao.accounts
        gov = Governance(dao)
        impersonate(dao, GUARDIAN)
        impersonate(dao, ATTESTER)
        for account in (a[1], a[2], a[5]):
            dao.send(dao.token, "mint", account, 100_000 * EUR, sender=account)
            dao.send(dao.token, "approve", dao.pool.address, MAX, sender=account)
        dao.send(dao.membership, "invite", a[5], ABEILLE, sender=a[1])
        dao.send(dao.membership, "acceptInvitation", a[1], ABEILLE, sender=a[5])
        dao.send(dao.membership, "invite", a[6], ABEILLE, sender=a[2])
        dao.send(dao.pool, "payRelation", a[5], 50 * EUR, keccak(text="reorg-fees"), sender=a[1])
        specs = [
            gov.proposal([(dao.governor, "setGuardian", (GUARDIAN,))], "guardian", a[1]),
            gov.proposal(
                [
                    (dao.membership, "setAttester", (ATTESTER, True)),
                    (dao.pool, "setCollectiveBudget", (4 * EUR, 3600)),
                    (dao.governor, "setApprovalGracePeriod", (7200,)),
                ],
                "attester, budget, grace",
                a[1],
            ),
        ]
        for spec in specs:
            gov.propose(spec, a[1])
        dao.travel(2)
        for spec in specs:
            for voter in a[1:4]:
                dao.send(dao.governor, "castVote", gov.id_of(spec), 1, sender=voter)
        dao.travel(301)
        for spec in specs:
            gov.step("queue", spec, a[1])
        dao.travel(61)
        for spec in specs:
            gov.step("execute", spec, a[1])
        dao.travel(3601)  # the invitation of 6 by 2 has expired: 2 may renew it
        db = new_database()
        index(dao, db)

        vetoed = gov.proposal([(dao.pool, "fundEssProject", (1, a[9], 1, EUR))], "funding", a[2])
        blocks: list[Callable[[], object]] = [
            lambda: dao.send(dao.membership, "invite", a[6], PILOTE, sender=a[2]),
            lambda: dao.send(dao.membership, "revokeInvitation", a[6], a[2], sender=a[2]),
            lambda: dao.send(dao.membership, "attestEssStructure", a[8], sender=ATTESTER),
            lambda: gov.propose(vetoed, a[2]),
            lambda: gov.guardian_cancel(vetoed, "retirée : projet inconnu"),
            lambda: dao.send(dao.pool, "spendCollective", a[9], EUR, "salle", sender=a[4]),
            lambda: dao.send(dao.membership, "invite", a[7], ABEILLE, sender=a[1]),
        ]
        for send in blocks:
            send()
        index(dao, db)
        with engine_for(db).connect() as connection:
            (row,) = connection.execute(
                select(Proposal.cancel_reason).where(Proposal.canceled_by_guardian == GUARDIAN)
            ).all()
            assert row.cancel_reason == "retirée : projet inconnu"
            assert connection.execute(select(func.count()).select_from(ProposalPayout)).scalar_one() == 1
            assert connection.execute(select(func.count()).select_from(Attestation)).scalar_one() == 1
        rpc(dao.url, "anvil_rollback", [len(blocks)])
        dao.send(dao.membership, "invite", a[8], ABEILLE, sender=a[1])
        stats = index(dao, db)
        assert stats.reorgs == 1
        with engine_for(db).connect() as connection:
            assert connection.execute(select(func.count()).select_from(ProposalPayout)).scalar_one() == 0
            assert connection.execute(select(func.count()).select_from(Attestation)).scalar_one() == 0
            statuses = connection.execute(select(Invitation.status, Invitation.invitee)).all()
            assert sorted(statuses) == sorted([("accepted", a[5]), ("pending", a[6]), ("pending", a[8])])
            budget = connection.execute(select(DaoState.budget_spent, DaoState.budget_period_start)).one()
            assert tuple(budget) == (0, None)
        fresh = new_database()
        index(dao, fresh)
        assert diff(dump(db), dump(fresh)) == []
        assert membership_matches(dao, db) == []
        assert governance_matches(dao, db) == []
    finally:
        anvil.stop()


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
    from tests.indexer.indexer_mirror import engine_for, settings_for

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
