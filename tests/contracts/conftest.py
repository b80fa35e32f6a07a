"""Shared fixtures for the contract tests: role accounts over Ape's test accounts, one
session-scoped deployment made exactly as `ape run deploy` makes it (Ape reverts the chain to a
snapshot around each test, so tests do not see each other's state), a stopped chain clock that
tests move on epoch by epoch, and the pool's operations checked against the independent model
(redistribution_model.py): each one compares the whole list of events with the model's figures."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cmir.chain.deploy import Deployment, NetworkSettings, deploy_on_test_accounts
from tests.contracts.chain_clock import ChainClock
from tests.contracts.redistribution_model import PoolModel
from tests.contracts.strict_checks import emitted, log

# One euro of the 6-decimal test token.
EUR = 10**6
KIND = {"Pilote": 0, "Abeille": 1, "EssStructure": 2}


@pytest.fixture(scope="session")
def settings() -> NetworkSettings:
    """The local network's deployment settings."""
    return NetworkSettings.for_network("ethereum:local")


@pytest.fixture(scope="session")
def deployer(accounts: Any) -> Any:
    """Deploys and wires; keeps no power afterwards."""
    return accounts[0]


@pytest.fixture(scope="session")
def admin(accounts: Any) -> Any:
    """A founding member (a Pilote) who also steers the first proposals."""
    return accounts[1]


@pytest.fixture(scope="session")
def member(accounts: Any) -> Any:
    """A founding member (an Abeille)."""
    return accounts[2]


@pytest.fixture(scope="session")
def ess_member(accounts: Any) -> Any:
    """A founding member that is an ESS structure (may register projects)."""
    return accounts[3]


@pytest.fixture(scope="session")
def steward(accounts: Any) -> Any:
    """The steward of the collective fund (not a member)."""
    return accounts[4]


@pytest.fixture(scope="session")
def outsider(accounts: Any) -> Any:
    """Not a member, never invited."""
    return accounts[5]


@pytest.fixture(scope="session")
def invitee(accounts: Any) -> Any:
    """Not a member yet; tests invite it."""
    return accounts[6]


@pytest.fixture(scope="session")
def guardian(accounts: Any) -> Any:
    """The guardian ("conseil de surveillance"): not a member; may only cancel proposals."""
    account = accounts.generate_test_account()
    account.balance = 10**20
    return account


@pytest.fixture(scope="session")
def attester(accounts: Any) -> Any:
    """An attester of ESS structures (a regional CRESS, say), named by governance in `_session_state`."""
    account = accounts.generate_test_account()
    account.balance = 10**20
    return account


@pytest.fixture(scope="session")
def system(
    deployer: Any, admin: Any, member: Any, ess_member: Any, steward: Any, guardian: Any, settings: Any
) -> Deployment:
    """The whole system, deployed and wired once per session, with a guardian."""
    return deploy_on_test_accounts(
        settings, [deployer, admin, member, ess_member, steward], guardian=guardian
    )


@pytest.fixture(scope="session")
def token(system: Deployment) -> Any:
    return system.token


@pytest.fixture(scope="session")
def membership(system: Deployment) -> Any:
    return system.membership


@pytest.fixture(scope="session")
def pool(system: Deployment) -> Any:
    return system.pool


@pytest.fixture(scope="session")
def registry(system: Deployment) -> Any:
    return system.registry


@pytest.fixture(scope="session")
def governor(system: Deployment) -> Any:
    return system.governor


@pytest.fixture(scope="session")
def timelock(system: Deployment) -> Any:
    return system.timelock


@pytest.fixture(scope="session")
def governance(accounts: Any, timelock: Any) -> Any:
    """The timelock as a sender (impersonated on anvil) for governed calls in unit tests.

    Governance's real path (propose, vote, queue, execute) is tested end to end elsewhere; unit
    tests of governed functions act as the timelock directly to stay short.
    """
    account = accounts[str(timelock.address)]
    account.balance += 10**20
    return account


@pytest.fixture(scope="session")
def fund(token: Any, pool: Any) -> Callable[[Any, int], None]:
    """Mint `amount` test euros to `account` and approve the pool for them."""

    def _fund(account: Any, amount: int) -> None:
        token.mint(account, amount, sender=account)
        token.approve(pool, amount, sender=account)

    return _fund


@pytest.fixture(scope="session")
def join(membership: Any, attester: Any) -> Callable[[Any, Any, int], None]:
    """`sponsor` invites `account` as `kind` (an ESS structure is attested by the attester), and
    `account` accepts naming that sponsor and kind. Its probation starts: see `serve_probation`."""

    def _join(sponsor: Any, account: Any, kind: int = KIND["Abeille"]) -> None:
        membership.invite(account, kind, sender=sponsor)
        if kind == KIND["EssStructure"]:
            membership.attestEssStructure(account, sender=attester)
        membership.acceptInvitation(sponsor, kind, sender=account)

    return _join


@pytest.fixture(scope="session")
def serve_probation(membership: Any, chain: Any) -> Callable[..., None]:
    """Move the chain's clock until `account`'s vote counts (and, with `invitations=n`, until it
    has earned n invitations); a block is mined a second later, because the Governor reads a
    proposer's votes at the second before its proposal."""

    def _serve(account: Any, invitations: int = 0) -> None:
        rules = membership.rules()
        until = int(membership.memberOf(account).votesFrom) + invitations * int(rules.invitationRefillPeriod)
        if chain.blocks.head.timestamp <= until:
            chain.mine(timestamp=until + 1)

    return _serve


@pytest.fixture(scope="session", autouse=True)
def _session_state(
    system: Deployment,
    deployer: Any,
    admin: Any,
    member: Any,
    ess_member: Any,
    steward: Any,
    outsider: Any,
    invitee: Any,
    governance: Any,
    guardian: Any,
    attester: Any,
    chain: Any,
) -> None:
    """Create every session fixture before any module's snapshot is taken, and name the attester.

    Ape isolates each scope with a chain snapshot; a session fixture first created inside a
    module (after that module's snapshot) would be rebased onto it and module state could leak
    into later modules. Building the session state first keeps each module's changes reverted.
    """
    system.membership.setAttester(attester, True, sender=governance)
    # The founders joined at the deployment's second; the Governor and `getPastVotes` read votes
    # at past seconds only. A block one second later makes that second past for every module,
    # however fast the tests run after the deployment (anvil's clock is restored with each
    # snapshot, so a module starting within that second would see the founders without votes).
    chain.mine(timestamp=int(chain.blocks.head.timestamp) + 1)


@pytest.fixture(scope="module")
def module_chain_state(chain: Any) -> Any:
    """Snapshot the chain before a module builds module-scoped state; restore it afterwards.

    Ape's own module isolation does not always undo module fixtures once it has rebased its
    snapshots (seen with eth-ape 0.8.51: a project registered by one module's fixture was still
    there in the next module). Modules with module-scoped state request this first.
    """
    snapshot = chain.snapshot()
    yield
    chain.restore(snapshot)


# ---------------------------------------------------------------------------- the chain clock


@pytest.fixture
def clock(chain: Any) -> Iterator[ChainClock]:
    """The chain clock, stopped for the test (anvil's block timestamp interval set to 0)."""
    chain.provider.make_request("anvil_setBlockTimestampInterval", [0])
    try:
        yield ChainClock(chain)
    finally:
        # Later tests expect the wall clock again.
        chain.provider.make_request("anvil_removeBlockTimestampInterval", [])


# ---------------------------------------------------------------------------- the pool, checked


def relation_ref(label: str) -> bytes:
    """A 32-byte relation reference naming `label` (a meeting or introduction id)."""
    return label.encode().ljust(32, b"\0")


@pytest.fixture(scope="session")
def alice(accounts: Any) -> Any:
    """A test account that tests may invite."""
    return accounts[7]


@pytest.fixture(scope="session")
def bob(accounts: Any) -> Any:
    """Another test account that tests may invite."""
    return accounts[8]


@pytest.fixture(scope="session")
def carol(accounts: Any) -> Any:
    """A third test account that tests may invite."""
    return accounts[9]


@pytest.fixture
def model(
    clock: ChainClock, system: Deployment, settings: NetworkSettings, admin: Any, member: Any, ess_member: Any
) -> PoolModel:
    """The model of the deployed pool (deployed when its creation receipt says): the three
    founders, no sponsor. The chain clock is stopped for the test."""
    origin = int(system.pool.creation_metadata.receipt.timestamp)
    pool_model = PoolModel.from_settings(settings, origin)
    for founder in (admin, member, ess_member):
        pool_model.add_member(founder)
    return pool_model


@pytest.fixture
def everyone(
    admin: Any,
    member: Any,
    ess_member: Any,
    steward: Any,
    outsider: Any,
    invitee: Any,
    alice: Any,
    bob: Any,
    carol: Any,
) -> list[Any]:
    """Every account a test may reward: views are checked for all of them."""
    return [admin, member, ess_member, steward, outsider, invitee, alice, bob, carol]


@pytest.fixture
def enrol(join: Callable[[Any, Any, int], None], model: PoolModel) -> Callable[[Any, Any], None]:
    """`sponsor` invites `account` (an Abeille), which accepts; the model learns the sponsorship."""

    def _enrol(sponsor: Any, account: Any) -> None:
        join(sponsor, account, KIND["Abeille"])
        model.add_member(account, sponsor)

    return _enrol


@pytest.fixture
def exclude(membership: Any, pool: Any, governance: Any, model: PoolModel) -> Callable[[Any], Any]:
    """Governance excludes `account`; checks the pool froze its points and rewards as the model
    says (matured and pending points removed, what it earned kept)."""

    def _exclude(account: Any) -> Any:
        receipt = membership.exclude(account, "test exclusion", sender=governance)
        matured, pending, accrued = model.exclude(account, receipt.timestamp)
        frozen = [event for event in receipt.events if event.event_name == "MemberRewardsFrozen"]
        assert frozen == [
            log(
                pool.MemberRewardsFrozen,
                member=account,
                maturedRemoved=matured,
                pendingRemoved=pending,
                accrued=accrued,
                rewardPerPoint=model.reward_per_point,
            )
        ]
        return receipt

    return _exclude


@pytest.fixture
def pay(pool: Any, token: Any, model: PoolModel, fund: Callable[[Any, int], None]) -> Callable[..., Any]:
    """`payer` pays a relation with `counterparty`; checks the whole event list against the model."""

    def _pay(payer: Any, counterparty: Any, amount: int, label: str = "meeting") -> Any:
        fund(payer, amount)
        receipt = pool.payRelation(counterparty, amount, relation_ref(label), sender=payer)
        split, points = model.pay_relation(payer, counterparty, amount, receipt.timestamp)
        assert emitted(receipt) == [
            log(
                pool.RelationPaid,
                payer=payer,
                counterparty=counterparty,
                relationRef=relation_ref(label),
                amount=amount,
                split=split.as_tuple(),
                points=points.as_tuple(),
                rewardPerPoint=model.reward_per_point,
                epoch=model.epoch(receipt.timestamp),
            ),
            log(token.Transfer, **{"from": payer, "to": pool, "value": amount}),
        ]
        return receipt

    return _pay


@pytest.fixture
def contribute(
    pool: Any, token: Any, model: PoolModel, fund: Callable[[Any, int], None]
) -> Callable[..., Any]:
    """`contributor` gives `amount` with `memo`; checks the whole event list against the model."""

    def _contribute(contributor: Any, amount: int, memo: str = "for the network") -> Any:
        fund(contributor, amount)
        receipt = pool.contribute(amount, memo, sender=contributor)
        split = model.receive(amount, receipt.timestamp)
        assert emitted(receipt) == [
            log(
                pool.Contributed,
                contributor=contributor,
                amount=amount,
                split=split.as_tuple(),
                rewardPerPoint=model.reward_per_point,
                memo=memo,
            ),
            log(token.Transfer, **{"from": contributor, "to": pool, "value": amount}),
        ]
        return receipt

    return _contribute


@pytest.fixture
def claim(pool: Any, token: Any, model: PoolModel, clock: ChainClock) -> Callable[[Any], int]:
    """`account` claims; checks the amount, the events and the payment against the model."""

    def _claim(account: Any) -> int:
        expected = model.claimable_of(account, clock.now)
        assert pool.claim.call(sender=account) == expected
        before = token.balanceOf(account)
        receipt = pool.claim(sender=account)
        assert model.claim(account, receipt.timestamp) == expected
        assert emitted(receipt) == [
            log(
                pool.RewardsClaimed,
                member=account,
                amount=expected,
                rewardPerPoint=model.reward_per_point,
            ),
            log(token.Transfer, **{"from": pool, "to": account, "value": expected}),
        ]
        assert token.balanceOf(account) == before + expected
        return expected

    return _claim
