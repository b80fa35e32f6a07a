"""The deployment record (``deployments/<network>.json``) the indexer mirrors."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils.address import to_checksum_address

from cmir.chain.errors import ConfigurationError


@dataclass(frozen=True)
class DeployedContract:
    """One deployed contract: its role in the system, address, contract type and ABI."""

    role: str
    address: str
    contract_type: str
    abi: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class TokenUnits:
    """How the payment token writes its amounts (its ``symbol()`` and ``decimals()``)."""

    symbol: str
    decimals: int


@dataclass(frozen=True)
class Deployment:
    """Chain id, first block and contracts of one deployment, and the token's units when the
    record has them (records written before they were kept do not)."""

    network: str
    chain_id: int
    deployment_block: int
    contracts: dict[str, DeployedContract]
    token: TokenUnits | None = None

    def fingerprint(self) -> str:
        """A short digest of the chain id and addresses: a database mirrors one deployment only."""
        text = json.dumps(
            [self.chain_id, sorted((c.role, c.address) for c in self.contracts.values())],
            separators=(",", ":"),
        )
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def select(self, roles: tuple[str, ...]) -> Deployment:
        """The same deployment restricted to `roles`; unknown roles are a configuration error."""
        unknown = [role for role in roles if role not in self.contracts]
        if unknown:
            known = ", ".join(sorted(self.contracts))
            raise ConfigurationError(f"unknown contract role(s) {', '.join(unknown)} (known: {known})")
        return Deployment(
            self.network,
            self.chain_id,
            self.deployment_block,
            {r: self.contracts[r] for r in roles},
            self.token,
        )


def load_deployment(path: Path) -> Deployment:
    """Read a deployment record; raises `ConfigurationError` when it is missing or malformed."""
    try:
        raw = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise ConfigurationError(
            f"deployment file {path} not found (deploy first, or set CMIR_DEPLOYMENT_FILE)"
        ) from None
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"deployment file {path} is unreadable: {exc}") from None
    try:
        contracts = {
            role: DeployedContract(
                role=role,
                address=to_checksum_address(entry["address"]),
                contract_type=str(entry.get("contract", role)),
                abi=tuple(entry["abi"]),
            )
            for role, entry in raw["contracts"].items()
        }
        units = raw.get("token")
        return Deployment(
            network=str(raw.get("network", "")),
            chain_id=int(raw["chain_id"]),
            deployment_block=int(raw["deployment_block"]),
            contracts=contracts,
            token=TokenUnits(str(units["symbol"]), int(units["decimals"])) if units is not None else None,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ConfigurationError(f"deployment file {path} is malformed: missing or bad {exc}") from None
