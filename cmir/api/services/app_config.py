"""The members' app's configuration: the deployment record's contracts and ABIs, the revert
meanings the CLI uses, and the demo wallet's accounts, served only on a local dev chain."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from cmir.api.chain import ChainReader
from cmir.api.errors import ChainReadError
from cmir.api.schemas.app_config import AppConfig, AppContract, AppToken, DemoAccount
from cmir.api.services.context import Context
from cmir.api.settings import Settings
from cmir.chain.deployment import Deployment
from cmir.chain.reverts import IN_CMIR, error_docs

log = logging.getLogger(__name__)

#: The contracts the app calls, by role (the forwarder once the deployment has one).
APP_ROLES = ("token", "membership", "pool", "registry", "governor", "forwarder")
#: anvil's and hardhat's chain id: only a local dev chain uses it.
LOCAL_CHAIN_ID = 31337


def is_local_dev_chain(chain: ChainReader) -> bool:
    """Whether the node is a local dev chain: chain id 31337, or it answers ``anvil_nodeInfo``.
    A node that cannot be read is not one."""
    try:
        (chain_id,) = chain.batch([("eth_chainId", [])])
        if int(chain_id, 16) == LOCAL_CHAIN_ID:
            return True
        chain.batch([("anvil_nodeInfo", [])])
    except (ChainReadError, ValueError, TypeError):
        return False
    return True


def demo_accounts(settings: Settings, chain: ChainReader) -> list[DemoAccount] | None:
    """The demo's accounts when the setting is on AND the chain is a local dev chain, else None
    (and None when the file is missing or unreadable)."""
    if not settings.app_demo_wallet or not is_local_dev_chain(chain):
        return None
    return read_demo_accounts(settings.demo_accounts)


def read_demo_accounts(path: Path) -> list[DemoAccount] | None:
    """The accounts of a ``demo-accounts.json`` (as the demo writes it), or None."""
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return [
            DemoAccount(
                address=entry["address"],
                name=entry.get("name") or entry["address"],
                role=entry.get("role") or "member",
                kind=entry.get("kind"),
                private_key=entry["private_key"],
            )
            for entry in data["accounts"]
        ]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("demo wallet: cannot read %s (%s)", path, type(exc).__name__)
        return None


def revert_meanings() -> dict[str, str]:
    """Custom error signature -> the sentence the CLI gives (`cmir.chain.reverts`)."""
    return {**error_docs(), **IN_CMIR}


def app_config(
    settings: Settings,
    deployment: Deployment,
    ctx: Context,
    chain: ChainReader,
    relayer: bool,
) -> AppConfig:
    """The configuration of the members' app for this deployment."""
    contracts = {
        role: AppContract(address=c.address, abi=[dict(entry) for entry in c.abi])
        for role, c in deployment.contracts.items()
        if role in APP_ROLES
    }
    token = deployment.contracts.get("token")
    return AppConfig(
        chain_id=deployment.chain_id,
        network=deployment.network,
        rpc_url=settings.app_rpc_url or settings.rpc_url,
        contracts=contracts,
        token=AppToken(address=token.address if token else "", symbol=ctx.symbol, decimals=ctx.decimals),
        relayer=relayer,
        explorer_tx_url=ctx.tx_url,
        errors=revert_meanings(),
        demo_accounts=demo_accounts(settings, chain),
    )
