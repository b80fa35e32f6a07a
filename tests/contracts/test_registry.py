"""Unit tests of EssProjectRegistry: who may register ESS projects, metadata checks, updates by
the owner, the wallet versions that void what was voted for an earlier wallet, activation and
deactivation by governance, and the views the pool and the directory read."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from ape import project
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from cmir.chain.deploy import MEMBER_KINDS as KIND
from cmir.chain.deploy import ZERO_ADDRESS
from tests.contracts.strict_checks import emitted, log, reverts, view_call

ZERO_HASH = b"\x00" * 32
EUR = 10**6


# --------------------------------------------------------------------------- helpers


def fresh_address(label: str) -> str:
    """A deterministic address nobody holds a key for (a payout wallet)."""
    return to_checksum_address(keccak(text=label)[-20:])


def metadata(name: str) -> tuple[str, bytes]:
    """The URI of a project's off-chain description and the keccak-256 of that document."""
    document = json.dumps(
        {
            "name": name,
            "legalForm": "association loi 1901",
            "territories": ["FR-75", "FR-93"],
            "themes": ["insertion", "circular economy"],
            "description": f"{name}: repair workshops run by people returning to work",
        },
        sort_keys=True,
    )
    return f"ipfs://cmir-demo/{name.lower().replace(' ', '-')}.json", keccak(text=document)


def updated(registry: Any, project_id: int, wallet: Any, name: str, version: int) -> Any:
    """The EssProjectUpdated event of project `project_id` given `wallet` and `name`'s metadata."""
    uri, digest = metadata(name)
    return log(
        registry.EssProjectUpdated,
        projectId=project_id,
        payoutWallet=wallet,
        metadataURI=uri,
        metadataHash=digest,
        walletVersion=version,
    )


@pytest.fixture
def max_uri_length(registry: Any) -> int:
    """The longest metadata URI the registry accepts, in bytes."""
    return int(registry.MAX_URI_LENGTH())


@pytest.fixture
def project_id(registry: Any, ess_member: Any) -> int:
    """A project registered by the ESS-structure founder: inactive, wallet version 1."""
    uri, digest = metadata("Atelier Vélo")
    receipt = registry.registerProject(fresh_address("payout-atelier"), uri, digest, sender=ess_member)
    return int(receipt.return_value)


@pytest.fixture
def active_project_id(registry: Any, governance: Any, project_id: int) -> int:
    """The ESS-structure founder's project, activated by governance for wallet version 1."""
    registry.activateProject(project_id, 1, sender=governance)
    return project_id


@pytest.fixture
def ess_funds(pool: Any, fund: Callable[[Any, int], None], outsider: Any) -> int:
    """ESS money in the pool (a contribution, all of it ESS's while no point has matured)."""
    fund(outsider, 100 * EUR)
    pool.contribute(100 * EUR, "don", sender=outsider)
    available = int(pool.essAvailable())
    assert available > 0
    return available


# --------------------------------------------------------------------------- deployment


def test_registry_starts_empty_and_wired(registry: Any, membership: Any, timelock: Any) -> None:
    assert registry.projectCount() == 0
    assert registry.membership() == membership.address
    assert registry.governance() == timelock.address


def test_constructor_reverts_when_membership_is_zero(deployer: Any, timelock: Any) -> None:
    with reverts(project.EssProjectRegistry.EssProjectRegistryZeroAddress):
        deployer.deploy(project.EssProjectRegistry, ZERO_ADDRESS, timelock, ZERO_ADDRESS)


def test_constructor_reverts_when_governance_is_zero(deployer: Any, membership: Any) -> None:
    with reverts(project.EssProjectRegistry.EssProjectRegistryZeroAddress):
        deployer.deploy(project.EssProjectRegistry, membership, ZERO_ADDRESS, ZERO_ADDRESS)


# --------------------------------------------------------------------------- registerProject


def test_register_project_by_ess_member_starts_inactive(registry: Any, ess_member: Any) -> None:
    wallet = fresh_address("payout-1")
    uri, digest = metadata("Ressourcerie du Canal")
    expected_id = registry.projectCount() + 1

    receipt = registry.registerProject(wallet, uri, digest, sender=ess_member)

    assert receipt.return_value == expected_id
    assert emitted(receipt) == [
        log(
            registry.EssProjectRegistered,
            projectId=expected_id,
            owner=ess_member,
            payoutWallet=wallet,
            metadataURI=uri,
            metadataHash=digest,
        )
    ]
    assert registry.projectOf(expected_id) == (ess_member.address, False, 1, wallet, digest, uri)
    assert registry.payoutOf(expected_id) == (wallet, False, 1)
    assert registry.projectCount() == expected_id


def test_register_project_numbers_projects_in_order(registry: Any, ess_member: Any, project_id: int) -> None:
    uri, digest = metadata("Jardin Partagé")

    receipt = registry.registerProject(fresh_address("payout-2"), uri, digest, sender=ess_member)

    assert receipt.return_value == project_id + 1
    assert registry.projectCount() == project_id + 1
    assert registry.projectOf(project_id).metadataURI == metadata("Atelier Vélo")[0]
    assert registry.projectOf(project_id + 1).metadataURI == uri


def test_register_project_by_governance_is_active_at_once(
    registry: Any, governance: Any, timelock: Any
) -> None:
    wallet = fresh_address("payout-gov")
    uri, digest = metadata("Epicerie Solidaire")
    expected_id = registry.projectCount() + 1

    receipt = registry.registerProject(wallet, uri, digest, sender=governance)

    assert emitted(receipt) == [
        log(
            registry.EssProjectRegistered,
            projectId=expected_id,
            owner=timelock,
            payoutWallet=wallet,
            metadataURI=uri,
            metadataHash=digest,
        ),
        log(registry.EssProjectStatusChanged, projectId=expected_id, active=True),
    ]
    assert registry.projectOf(expected_id) == (timelock.address, True, 1, wallet, digest, uri)
    assert registry.payoutOf(expected_id) == (wallet, True, 1)


def test_register_project_by_an_invited_ess_structure(
    registry: Any, join: Callable[..., None], admin: Any, invitee: Any
) -> None:
    join(admin, invitee, KIND["EssStructure"])  # attested, then accepted
    uri, digest = metadata("Tiers-Lieu")

    receipt = registry.registerProject(invitee, uri, digest, sender=invitee)

    assert registry.projectOf(receipt.return_value) == (
        invitee.address,
        False,
        1,
        invitee.address,
        digest,
        uri,
    )


def test_a_members_new_project_cannot_be_funded_until_governance_activates_it(
    registry: Any, pool: Any, token: Any, governance: Any, project_id: int, ess_funds: int
) -> None:
    wallet = fresh_address("payout-atelier")

    with reverts(pool.RedistributionProjectInactive, projectId=project_id):
        pool.fundEssProject(project_id, wallet, 1, ess_funds, sender=governance)

    receipt = registry.activateProject(project_id, 1, sender=governance)

    assert emitted(receipt) == [log(registry.EssProjectStatusChanged, projectId=project_id, active=True)]
    receipt = pool.fundEssProject(project_id, wallet, 1, ess_funds, sender=governance)
    assert emitted(receipt) == [
        log(pool.EssProjectFunded, projectId=project_id, payoutWallet=wallet, amount=ess_funds),
        log(token.Transfer, **{"from": pool, "to": wallet, "value": ess_funds}),
    ]
    assert token.balanceOf(wallet) == ess_funds


@pytest.mark.parametrize("role", ["admin", "member", "outsider", "steward"])
def test_register_project_reverts_when_caller_is_not_an_ess_member(
    registry: Any, request: pytest.FixtureRequest, role: str
) -> None:
    caller = request.getfixturevalue(role)
    uri, digest = metadata("Projet Refusé")
    count = int(registry.projectCount())

    with reverts(registry.EssProjectRegistryNotEssMember, caller=caller):
        registry.registerProject(caller, uri, digest, sender=caller)
    assert registry.projectCount() == count


def test_register_project_reverts_when_ess_member_is_excluded(
    registry: Any, membership: Any, governance: Any, ess_member: Any
) -> None:
    membership.exclude(ess_member, "statutes no longer ESS", sender=governance)
    uri, digest = metadata("Projet Exclu")

    with reverts(registry.EssProjectRegistryNotEssMember, caller=ess_member):
        registry.registerProject(ess_member, uri, digest, sender=ess_member)


def test_register_project_reverts_when_wallet_is_zero(registry: Any, ess_member: Any) -> None:
    uri, digest = metadata("Sans Portefeuille")

    with reverts(registry.EssProjectRegistryZeroWallet):
        registry.registerProject(ZERO_ADDRESS, uri, digest, sender=ess_member)


def test_register_project_reverts_when_uri_is_empty(
    registry: Any, ess_member: Any, max_uri_length: int
) -> None:
    _, digest = metadata("Sans URI")

    with reverts(registry.EssProjectRegistryInvalidMetadata, uriLength=0, maxLength=max_uri_length):
        registry.registerProject(ess_member, "", digest, sender=ess_member)


def test_register_project_reverts_when_uri_is_too_long(
    registry: Any, ess_member: Any, max_uri_length: int
) -> None:
    _, digest = metadata("URI Trop Longue")
    uri = "ipfs://" + "a" * (max_uri_length + 1 - len("ipfs://"))

    with reverts(
        registry.EssProjectRegistryInvalidMetadata, uriLength=max_uri_length + 1, maxLength=max_uri_length
    ):
        registry.registerProject(ess_member, uri, digest, sender=ess_member)


def test_register_project_counts_uri_length_in_bytes(
    registry: Any, ess_member: Any, max_uri_length: int
) -> None:
    _, digest = metadata("Accents")
    uri = "https://cmir.example/" + "é" * (max_uri_length // 2)  # fewer characters than bytes
    length = len(uri.encode())
    assert len(uri) <= max_uri_length < length

    with reverts(registry.EssProjectRegistryInvalidMetadata, uriLength=length, maxLength=max_uri_length):
        registry.registerProject(ess_member, uri, digest, sender=ess_member)


def test_register_project_accepts_a_uri_of_the_maximum_length(
    registry: Any, ess_member: Any, max_uri_length: int
) -> None:
    _, digest = metadata("URI Maximale")
    uri = "ipfs://" + "b" * (max_uri_length - len("ipfs://"))

    receipt = registry.registerProject(ess_member, uri, digest, sender=ess_member)

    assert registry.projectOf(receipt.return_value).metadataURI == uri


def test_register_project_reverts_when_hash_is_zero(
    registry: Any, ess_member: Any, max_uri_length: int
) -> None:
    uri, _ = metadata("Sans Empreinte")

    with reverts(
        registry.EssProjectRegistryInvalidMetadata, uriLength=len(uri.encode()), maxLength=max_uri_length
    ):
        registry.registerProject(ess_member, uri, ZERO_HASH, sender=ess_member)


# --------------------------------------------------------------------------- updateProject


def test_update_project_metadata_only_keeps_the_wallet_version_and_status(
    registry: Any, ess_member: Any, active_project_id: int
) -> None:
    wallet = fresh_address("payout-atelier")
    uri, digest = metadata("Atelier Vélo 2026")

    receipt = registry.updateProject(active_project_id, wallet, uri, digest, sender=ess_member)

    assert emitted(receipt) == [updated(registry, active_project_id, wallet, "Atelier Vélo 2026", 1)]
    assert registry.projectOf(active_project_id) == (ess_member.address, True, 1, wallet, digest, uri)
    assert registry.projectCount() == active_project_id


def test_update_project_metadata_of_an_inactive_project_keeps_it_inactive(
    registry: Any, ess_member: Any, project_id: int
) -> None:
    wallet = fresh_address("payout-atelier")
    uri, digest = metadata("Atelier Vélo 2026")

    receipt = registry.updateProject(project_id, wallet, uri, digest, sender=ess_member)

    assert emitted(receipt) == [updated(registry, project_id, wallet, "Atelier Vélo 2026", 1)]
    assert registry.payoutOf(project_id) == (wallet, False, 1)


def test_update_project_wallet_bumps_the_version_and_switches_the_project_off(
    registry: Any, governance: Any, ess_member: Any, active_project_id: int
) -> None:
    wallet = fresh_address("new-payout")
    uri, digest = metadata("Atelier Vélo 2026")

    receipt = registry.updateProject(active_project_id, wallet, uri, digest, sender=ess_member)

    assert emitted(receipt) == [
        log(registry.EssProjectStatusChanged, projectId=active_project_id, active=False),
        updated(registry, active_project_id, wallet, "Atelier Vélo 2026", 2),
    ]
    assert registry.projectOf(active_project_id) == (ess_member.address, False, 2, wallet, digest, uri)
    assert registry.payoutOf(active_project_id) == (wallet, False, 2)


def test_activate_project_reverts_for_the_wallet_version_before_a_change(
    registry: Any, governance: Any, ess_member: Any, project_id: int
) -> None:
    # Governance voted to activate the project for wallet version 1; the owner then changed it.
    uri, digest = metadata("Atelier Vélo 2026")
    registry.updateProject(project_id, fresh_address("new-payout"), uri, digest, sender=ess_member)

    with reverts(registry.EssProjectRegistryWalletChanged, projectId=project_id, expected=1, current=2):
        registry.activateProject(project_id, 1, sender=governance)

    receipt = registry.activateProject(project_id, 2, sender=governance)
    assert emitted(receipt) == [log(registry.EssProjectStatusChanged, projectId=project_id, active=True)]
    assert registry.payoutOf(project_id) == (fresh_address("new-payout"), True, 2)


def test_update_project_wallet_changed_back_still_voids_what_was_voted(
    registry: Any, governance: Any, ess_member: Any, project_id: int
) -> None:
    original = fresh_address("payout-atelier")
    uri, digest = metadata("Atelier Vélo")
    registry.updateProject(project_id, fresh_address("elsewhere"), uri, digest, sender=ess_member)

    receipt = registry.updateProject(project_id, original, uri, digest, sender=ess_member)

    assert emitted(receipt) == [updated(registry, project_id, original, "Atelier Vélo", 3)]
    assert registry.payoutOf(project_id) == (original, False, 3)
    with reverts(registry.EssProjectRegistryWalletChanged, projectId=project_id, expected=1, current=3):
        registry.activateProject(project_id, 1, sender=governance)


def test_update_project_wallet_voids_a_voted_funding(
    registry: Any, pool: Any, governance: Any, ess_member: Any, active_project_id: int, ess_funds: int
) -> None:
    old_wallet, new_wallet = fresh_address("payout-atelier"), fresh_address("other-wallet")
    uri, digest = metadata("Atelier Vélo, nouveau compte")
    registry.updateProject(active_project_id, new_wallet, uri, digest, sender=ess_member)

    with reverts(
        pool.RedistributionPayoutMismatch,
        projectId=active_project_id,
        payoutWallet=old_wallet,
        walletVersion=1,
    ):
        pool.fundEssProject(active_project_id, old_wallet, 1, ess_funds, sender=governance)
    # Even once the new wallet is activated, the funding voted for the old one stays void.
    registry.activateProject(active_project_id, 2, sender=governance)
    with reverts(
        pool.RedistributionPayoutMismatch,
        projectId=active_project_id,
        payoutWallet=old_wallet,
        walletVersion=1,
    ):
        pool.fundEssProject(active_project_id, old_wallet, 1, ess_funds, sender=governance)
    # Nor can a funding name the new wallet with the old version.
    with reverts(
        pool.RedistributionPayoutMismatch,
        projectId=active_project_id,
        payoutWallet=new_wallet,
        walletVersion=1,
    ):
        pool.fundEssProject(active_project_id, new_wallet, 1, ess_funds, sender=governance)
    assert pool.essAvailable() == ess_funds


def test_update_project_reverts_when_owner_was_excluded(
    registry: Any, membership: Any, governance: Any, ess_member: Any, project_id: int
) -> None:
    membership.exclude(ess_member, "fin d'adhésion", sender=governance)
    uri, digest = metadata("Atelier Vélo")

    with reverts(registry.EssProjectRegistryNotEssMember, caller=ess_member.address):
        registry.updateProject(project_id, ess_member, uri, digest, sender=ess_member)


def test_update_project_by_governance_of_its_own_project(
    registry: Any, governance: Any, timelock: Any
) -> None:
    uri, digest = metadata("Epicerie Solidaire")
    project = registry.registerProject(
        fresh_address("payout-gov"), uri, digest, sender=governance
    ).return_value
    new_uri, new_digest = metadata("Epicerie Solidaire et Café")

    receipt = registry.updateProject(project, timelock, new_uri, new_digest, sender=governance)

    # A new wallet switches even governance's own project off until it is switched on again.
    assert emitted(receipt) == [
        log(registry.EssProjectStatusChanged, projectId=project, active=False),
        updated(registry, project, timelock, "Epicerie Solidaire et Café", 2),
    ]
    assert registry.payoutOf(project) == (timelock.address, False, 2)


@pytest.mark.parametrize("role", ["admin", "outsider", "governance"])
def test_update_project_reverts_when_caller_is_not_owner(
    registry: Any, request: pytest.FixtureRequest, project_id: int, role: str
) -> None:
    caller = request.getfixturevalue(role)
    uri, digest = metadata("Détournement")

    with reverts(registry.EssProjectRegistryNotOwner, projectId=project_id, caller=caller):
        registry.updateProject(project_id, caller, uri, digest, sender=caller)
    assert registry.payoutOf(project_id) == (fresh_address("payout-atelier"), False, 1)


def test_update_project_reverts_when_caller_is_another_ess_member(
    registry: Any, join: Callable[..., None], admin: Any, invitee: Any, project_id: int
) -> None:
    join(admin, invitee, KIND["EssStructure"])
    uri, digest = metadata("Détournement")

    with reverts(registry.EssProjectRegistryNotOwner, projectId=project_id, caller=invitee):
        registry.updateProject(project_id, invitee, uri, digest, sender=invitee)


@pytest.mark.parametrize("past_last", [False, True], ids=["id-0", "past-the-last-id"])
def test_update_project_reverts_when_project_is_unknown(
    registry: Any, ess_member: Any, project_id: int, past_last: bool
) -> None:
    unknown = project_id + 1 if past_last else 0
    uri, digest = metadata("Inconnu")

    with reverts(registry.EssProjectRegistryUnknownProject, projectId=unknown):
        registry.updateProject(unknown, ess_member, uri, digest, sender=ess_member)


def test_update_project_reverts_when_wallet_is_zero(registry: Any, ess_member: Any, project_id: int) -> None:
    uri, digest = metadata("Atelier Vélo")

    with reverts(registry.EssProjectRegistryZeroWallet):
        registry.updateProject(project_id, ZERO_ADDRESS, uri, digest, sender=ess_member)


def test_update_project_reverts_when_metadata_is_invalid(
    registry: Any, ess_member: Any, project_id: int, max_uri_length: int
) -> None:
    uri, digest = metadata("Atelier Vélo")
    wallet = fresh_address("payout-atelier")

    with reverts(registry.EssProjectRegistryInvalidMetadata, uriLength=0, maxLength=max_uri_length):
        registry.updateProject(project_id, wallet, "", digest, sender=ess_member)
    with reverts(
        registry.EssProjectRegistryInvalidMetadata, uriLength=len(uri.encode()), maxLength=max_uri_length
    ):
        registry.updateProject(project_id, wallet, uri, ZERO_HASH, sender=ess_member)
    too_long = "x" * (max_uri_length + 1)
    with reverts(
        registry.EssProjectRegistryInvalidMetadata, uriLength=len(too_long), maxLength=max_uri_length
    ):
        registry.updateProject(project_id, wallet, too_long, digest, sender=ess_member)


# --------------------------------------------------------------------------- activate, deactivate


def test_deactivate_project_switches_a_project_off_and_activate_on_again(
    registry: Any, governance: Any, active_project_id: int
) -> None:
    wallet = fresh_address("payout-atelier")

    receipt = registry.deactivateProject(active_project_id, sender=governance)

    assert emitted(receipt) == [
        log(registry.EssProjectStatusChanged, projectId=active_project_id, active=False)
    ]
    assert registry.payoutOf(active_project_id) == (wallet, False, 1)
    assert not registry.projectOf(active_project_id).active

    receipt = registry.activateProject(active_project_id, 1, sender=governance)

    assert emitted(receipt) == [
        log(registry.EssProjectStatusChanged, projectId=active_project_id, active=True)
    ]
    assert registry.payoutOf(active_project_id) == (wallet, True, 1)
    assert registry.projectOf(active_project_id).active


def test_deactivate_project_stops_a_voted_funding(
    registry: Any, pool: Any, governance: Any, active_project_id: int, ess_funds: int
) -> None:
    registry.deactivateProject(active_project_id, sender=governance)

    with reverts(pool.RedistributionProjectInactive, projectId=active_project_id):
        pool.fundEssProject(
            active_project_id, fresh_address("payout-atelier"), 1, ess_funds, sender=governance
        )


def test_activate_project_reverts_when_already_active(
    registry: Any, governance: Any, active_project_id: int
) -> None:
    with reverts(registry.EssProjectRegistryStatusUnchanged, projectId=active_project_id, active=True):
        registry.activateProject(active_project_id, 1, sender=governance)


def test_deactivate_project_reverts_when_already_inactive(
    registry: Any, governance: Any, project_id: int
) -> None:
    with reverts(registry.EssProjectRegistryStatusUnchanged, projectId=project_id, active=False):
        registry.deactivateProject(project_id, sender=governance)


@pytest.mark.parametrize("version", [0, 2], ids=["older", "newer"])
def test_activate_project_reverts_for_another_wallet_version(
    registry: Any, governance: Any, project_id: int, version: int
) -> None:
    with reverts(registry.EssProjectRegistryWalletChanged, projectId=project_id, expected=version, current=1):
        registry.activateProject(project_id, version, sender=governance)
    assert registry.payoutOf(project_id) == (fresh_address("payout-atelier"), False, 1)


@pytest.mark.parametrize("role", ["ess_member", "admin", "outsider"])
def test_activate_project_reverts_when_not_governance(
    registry: Any, request: pytest.FixtureRequest, project_id: int, role: str
) -> None:
    caller = request.getfixturevalue(role)

    with reverts(registry.EssProjectRegistryNotGovernance, caller=caller):
        registry.activateProject(project_id, 1, sender=caller)
    assert not registry.projectOf(project_id).active


@pytest.mark.parametrize("role", ["ess_member", "admin", "outsider"])
def test_deactivate_project_reverts_when_not_governance(
    registry: Any, request: pytest.FixtureRequest, active_project_id: int, role: str
) -> None:
    caller = request.getfixturevalue(role)

    with reverts(registry.EssProjectRegistryNotGovernance, caller=caller):
        registry.deactivateProject(active_project_id, sender=caller)
    assert registry.projectOf(active_project_id).active


def test_activate_and_deactivate_revert_when_project_is_unknown(
    registry: Any, governance: Any, project_id: int
) -> None:
    unknown = registry.projectCount() + 1

    with reverts(registry.EssProjectRegistryUnknownProject, projectId=unknown):
        registry.activateProject(unknown, 1, sender=governance)
    with reverts(registry.EssProjectRegistryUnknownProject, projectId=unknown):
        registry.deactivateProject(unknown, sender=governance)
    with reverts(registry.EssProjectRegistryUnknownProject, projectId=0):
        registry.activateProject(0, 0, sender=governance)


# --------------------------------------------------------------------------- views


def test_project_of_reverts_for_an_unknown_id(registry: Any) -> None:
    # Ids start at 1; the next id is unknown until registered.
    unknown = int(registry.projectCount()) + 1
    with reverts(registry.EssProjectRegistryUnknownProject, projectId=0):
        view_call(registry.projectOf, 0)
    with reverts(registry.EssProjectRegistryUnknownProject, projectId=unknown):
        view_call(registry.projectOf, unknown)


def test_project_of_reverts_past_the_last_id(registry: Any, project_id: int) -> None:
    with reverts(registry.EssProjectRegistryUnknownProject, projectId=project_id + 1):
        view_call(registry.projectOf, project_id + 1)


def test_payout_of_an_unknown_id_is_zero_inactive_and_unversioned(registry: Any, project_id: int) -> None:
    assert registry.payoutOf(0) == (ZERO_ADDRESS, False, 0)
    assert registry.payoutOf(project_id + 1) == (ZERO_ADDRESS, False, 0)
