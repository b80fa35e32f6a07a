"""Shared fixtures for the contract tests: role accounts over Ape's test accounts, and one
session-scoped deployment made exactly as `ape run deploy` makes it (Ape reverts the chain to a
snapshot around each test, so tests do not see each other's state)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from cmir.deployment import Deployment, NetworkSettings, deploy

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
def system(deployer: Any, admin: Any, member: Any, ess_member: Any, steward: Any, settings: Any) -> Deployment:
    """The whole system, deployed and wired once per session."""
    founders = [(str(admin.address), "Pilote"), (str(member.address), "Abeille"), (str(ess_member.address), "EssStructure")]
    return deploy(deployer, settings, founders, str(steward.address))


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
def join(membership: Any) -> Callable[[Any, Any, int], None]:
    """`sponsor` invites `account` as `kind`, and `account` accepts."""

    def _join(sponsor: Any, account: Any, kind: int = KIND["Abeille"]) -> None:
        membership.invite(account, kind, sender=sponsor)
        membership.acceptInvitation(sender=account)

    return _join


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
) -> None:
    """Create every session fixture before any module's snapshot is taken.

    Ape isolates each scope with a chain snapshot; a session fixture first created inside a
    module (after that module's snapshot) would be rebased onto it and module state could leak
    into later modules. Building the session state first keeps each module's changes reverted.
    """


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
