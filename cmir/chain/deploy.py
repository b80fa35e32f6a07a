"""Deploy and wire the CMIR DAO contracts, and record where they are.

Order: payment token (or the test euro), the ERC-2771 forwarder (members' signed requests, relayed
by someone who pays the gas), timelock (the deployer is its temporary admin), membership
(founders), ESS project registry, redistribution pool, the pool bound to membership, the Governor
(the last four trust the forwarder); then the Governor becomes the timelock's only proposer,
canceller and executor (anyone executes through the Governor, which refuses expired approvals),
and the deployer renounces the timelock admin role: it keeps no power once wired.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cmir.chain import vocabulary
from cmir.chain.errors import CmirError
from cmir.chain.paths import project_root


def settings_file() -> Path:
    """The networks' settings (``deployments/settings.yaml`` of the checkout)."""
    return project_root() / "deployments" / "settings.yaml"


ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
# The local development chain (anvil, Ape's foundry provider): the only chain TestEuro may be
# deployed on, since its open faucet mints any amount to anyone.
DEV_CHAIN_ID = 31337
# Tokens deployed with the DAO, by contract name: TestEuro (contracts/test/, local chain only) and
# TestnetEuro (contracts/tokens/, the capped faucet of public test networks; Slither analyses it).
DEPLOYABLE_TOKENS = ("TestEuro", "TestnetEuro")
LOCAL_ONLY_TOKENS = ("TestEuro",)
#: A member kind's name -> its value in ``IMembership.MemberKind`` (`cmir.chain.vocabulary`).
MEMBER_KINDS = {name: value for value, name in enumerate(vocabulary.MEMBER_KINDS)}
CONTRACTS = (
    "Membership",
    "EssProjectRegistry",
    "Redistribution",
    "CmirGovernor",
    "CmirTimelock",
    "CmirForwarder",
)


class DeploymentError(CmirError):
    """A deployment cannot proceed (bad settings, missing network entry, a local-only token)."""


@dataclass(frozen=True)
class Shares:
    """Basis-point shares of each inflow."""

    members_bps: int
    ess_bps: int
    collective_bps: int

    def as_tuple(self) -> tuple[int, int, int]:
        """The Solidity struct as a tuple."""
        return (self.members_bps, self.ess_bps, self.collective_bps)


@dataclass(frozen=True)
class Weights:
    """Points per unit of a relation's amount, in basis points, for each party."""

    payer_bps: int
    counterparty_bps: int
    payer_sponsor_bps: int
    counterparty_sponsor_bps: int

    def as_tuple(self) -> tuple[int, int, int, int]:
        """The Solidity struct as a tuple."""
        return (self.payer_bps, self.counterparty_bps, self.payer_sponsor_bps, self.counterparty_sponsor_bps)


@dataclass(frozen=True)
class NetworkSettings:
    """Everything a deployment on one network is made with."""

    token: str
    voting_delay: int
    voting_period: int
    timelock_delay: int
    quorum_percent: int
    ess_floor_bps: int
    shares: Shares
    weights: Weights
    min_relation_fee: int
    probation: int
    invitation_refill_period: int
    invitation_cap: int
    invitation_ttl: int
    quorum_floor: int
    approval_grace_period: int
    collective_budget: int
    collective_budget_period: int
    min_relation_fee_ceiling: int
    parties_min_share_bps: int
    epoch_length: int
    epoch_reward_cap_bps: int
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def for_network(cls, network: str, path: Path | None = None) -> NetworkSettings:
        """Settings of `network` ("ecosystem:network", e.g. "ethereum:local")."""
        path = path or settings_file()
        table = yaml.safe_load(path.read_text())
        if network not in table:
            known = ", ".join(sorted(table))
            raise DeploymentError(f"no deployment settings for {network!r} in {path} (known: {known})")
        raw = dict(table[network])
        return cls(
            token=str(raw.pop("token")),
            voting_delay=int(raw.pop("voting_delay")),
            voting_period=int(raw.pop("voting_period")),
            timelock_delay=int(raw.pop("timelock_delay")),
            quorum_percent=int(raw.pop("quorum_percent")),
            ess_floor_bps=int(raw.pop("ess_floor_bps")),
            shares=Shares(**raw.pop("shares")),
            weights=Weights(**raw.pop("weights")),
            min_relation_fee=int(raw.pop("min_relation_fee")),
            probation=int(raw.pop("probation")),
            invitation_refill_period=int(raw.pop("invitation_refill_period")),
            invitation_cap=int(raw.pop("invitation_cap")),
            invitation_ttl=int(raw.pop("invitation_ttl")),
            quorum_floor=int(raw.pop("quorum_floor")),
            approval_grace_period=int(raw.pop("approval_grace_period")),
            collective_budget=int(raw.pop("collective_budget")),
            collective_budget_period=int(raw.pop("collective_budget_period")),
            min_relation_fee_ceiling=int(raw.pop("min_relation_fee_ceiling")),
            parties_min_share_bps=int(raw.pop("parties_min_share_bps")),
            epoch_length=int(raw.pop("epoch_length")),
            epoch_reward_cap_bps=int(raw.pop("epoch_reward_cap_bps")),
            extra=raw,
        )

    def membership_rules(self) -> tuple[int, int, int, int]:
        """The Membership's `Rules` struct as a tuple."""
        return (self.probation, self.invitation_refill_period, self.invitation_cap, self.invitation_ttl)

    def governor_config(self, guardian: str) -> tuple[int, int, int, int, int, str]:
        """The Governor's `Config` struct as a tuple."""
        return (
            self.voting_delay,
            self.voting_period,
            self.quorum_percent,
            self.quorum_floor,
            self.approval_grace_period,
            guardian,
        )


@dataclass
class Deployment:
    """The deployed contracts (Ape contract instances) and the block the deployment began at."""

    token: Any
    timelock: Any
    membership: Any
    registry: Any
    pool: Any
    governor: Any
    forwarder: Any
    deployment_block: int

    def addresses(self) -> dict[str, str]:
        """Address of each contract by name."""
        return {
            "token": str(self.token.address),
            "timelock": str(self.timelock.address),
            "membership": str(self.membership.address),
            "registry": str(self.registry.address),
            "pool": str(self.pool.address),
            "governor": str(self.governor.address),
            "forwarder": str(self.forwarder.address),
        }


def check_token(token: str, chain_id: int) -> None:
    """Refuse a local-only test token (TestEuro, whose open faucet mints anything for anyone) on
    any chain but the local development chain: checked before the first transaction."""
    if token in LOCAL_ONLY_TOKENS and chain_id != DEV_CHAIN_ID:
        raise DeploymentError(
            f"{token} (contracts/test/, an open faucet: anyone mints any amount) is deployed only on "
            f"the local development chain (chain id {DEV_CHAIN_ID}), not on chain id {chain_id}: "
            "use TestnetEuro (contracts/tokens/, a capped faucet) or an existing token's address"
        )


def deploy(
    deployer: Any,
    settings: NetworkSettings,
    founders: list[tuple[str, str]],
    steward: str,
    guardian: str = ZERO_ADDRESS,
) -> Deployment:
    """Deploy and wire everything from `deployer`.

    `founders` lists (address, kind name) of the first members; `steward` spends the collective
    fund; `guardian` (the "conseil de surveillance", none by default) may cancel proposals.
    """
    from ape import chain, project

    if not founders:
        raise DeploymentError("at least one founder is needed: governance is by members")
    for _, kind in founders:
        if kind not in MEMBER_KINDS:
            raise DeploymentError(f"unknown member kind {kind!r} (one of {', '.join(MEMBER_KINDS)})")
    check_token(settings.token, chain.chain_id)
    start_block = chain.blocks.height + 1

    # A token deployed with the DAO (by contract name), or the address of an existing one.
    if settings.token in DEPLOYABLE_TOKENS:
        token = deployer.deploy(getattr(project, settings.token))
    else:
        token = project.TestEuro.at(settings.token)  # any ERC-20 with permit: same calls used
    # No executor yet: the Governor becomes the only one, so an expired approval cannot be run
    # on the timelock directly.
    forwarder = deployer.deploy(project.CmirForwarder)
    timelock = deployer.deploy(project.CmirTimelock, settings.timelock_delay, [], [], deployer)
    membership = deployer.deploy(
        project.Membership,
        timelock,
        settings.membership_rules(),
        [address for address, _ in founders],
        [MEMBER_KINDS[kind] for _, kind in founders],
        forwarder,
    )
    registry = deployer.deploy(project.EssProjectRegistry, membership, timelock, forwarder)
    pool = deployer.deploy(
        project.Redistribution,
        (
            token.address,
            membership.address,
            registry.address,
            timelock.address,
            steward,
            settings.ess_floor_bps,
            settings.shares.as_tuple(),
            settings.weights.as_tuple(),
            settings.min_relation_fee,
            settings.min_relation_fee_ceiling,
            settings.parties_min_share_bps,
            settings.epoch_length,
            settings.epoch_reward_cap_bps,
            settings.collective_budget,
            settings.collective_budget_period,
        ),
        forwarder,
    )
    membership.bindPool(pool, sender=deployer)
    governor = deployer.deploy(
        project.CmirGovernor,
        membership,
        timelock,
        settings.governor_config(guardian),
        forwarder,
    )
    timelock.grantRole(timelock.PROPOSER_ROLE(), governor, sender=deployer)
    timelock.grantRole(timelock.CANCELLER_ROLE(), governor, sender=deployer)
    timelock.grantRole(timelock.EXECUTOR_ROLE(), governor, sender=deployer)
    timelock.renounceRole(timelock.DEFAULT_ADMIN_ROLE(), deployer, sender=deployer)
    return Deployment(token, timelock, membership, registry, pool, governor, forwarder, start_block)


def deploy_on_test_accounts(settings: NetworkSettings, accounts: Any, guardian: Any = None) -> Deployment:
    """A fresh system on a development chain, as the tests and the report scripts make it:
    `accounts[0]` deploys, `accounts[1:4]` are the founders (a Pilote, an Abeille, an ESS
    structure), `accounts[4]` is the steward and `guardian` (none by default) the guardian."""
    deployer, pilote, abeille, ess_structure, steward = accounts[:5]
    founders = [
        (str(pilote.address), "Pilote"),
        (str(abeille.address), "Abeille"),
        (str(ess_structure.address), "EssStructure"),
    ]
    named = ZERO_ADDRESS if guardian is None else str(getattr(guardian, "address", guardian))
    return deploy(deployer, settings, founders, str(steward.address), named)


def write_record(deployment: Deployment, network: str, path: Path) -> dict[str, Any]:
    """Write `deployments/<network>.json`: chain id, deployment block, the token's symbol and
    decimals, and each contract's address and ABI."""
    from ape import chain

    contracts = {
        "token": deployment.token,
        "timelock": deployment.timelock,
        "membership": deployment.membership,
        "registry": deployment.registry,
        "pool": deployment.pool,
        "governor": deployment.governor,
        "forwarder": deployment.forwarder,
    }
    record = {
        "network": network,
        "chain_id": chain.chain_id,
        "deployment_block": deployment.deployment_block,
        # what the token says of itself, so that every reader shows amounts as the CLI does
        "token": {"symbol": str(deployment.token.symbol()), "decimals": int(deployment.token.decimals())},
        "contracts": {
            name: {
                "address": str(contract.address),
                "contract": contract.contract_type.name,
                "abi": [entry.model_dump(mode="json", by_alias=True) for entry in contract.contract_type.abi],
            }
            for name, contract in contracts.items()
        },
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n")
    return record
