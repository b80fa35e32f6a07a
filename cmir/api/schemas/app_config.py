"""What the members' app (``/app/``) is told to start: the chain, the contracts it calls with
their ABIs, the token, the relayer, the revert meanings, and the demo wallet on a local chain."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from cmir.api.schemas.common import Schema


class AppContract(Schema):
    """A contract the app reads or calls."""

    address: str
    abi: list[dict[str, Any]]


class AppToken(Schema):
    """The payment token: its address and how amounts are written."""

    address: str
    symbol: str
    decimals: int


class DemoAccount(Schema):
    """One of the demo's accounts (anvil's public test keys): only on a local dev chain."""

    address: str
    name: str
    role: str
    kind: str | None
    private_key: str = Field(pattern=r"^0x[0-9a-fA-F]{64}$")


class AppConfig(Schema):
    """Everything the members' app needs before it talks to the chain."""

    chain_id: int
    network: str
    rpc_url: str = Field(description="a JSON-RPC endpoint the browser may use")
    contracts: dict[str, AppContract] = Field(
        description="by role: membership, pool, registry, governor, token, and forwarder once deployed"
    )
    token: AppToken
    relayer: bool = Field(description="the API relays signed requests (votes and forwarded calls)")
    explorer_tx_url: str | None = Field(description="a transaction link template with {tx}; null locally")
    errors: dict[str, str] = Field(
        description="custom error signature -> its meaning (the CLI's sentences, cmir.chain.reverts)"
    )
    demo_accounts: list[DemoAccount] | None = Field(
        description="the demo wallet's accounts: only when the setting is on and the chain is a local dev"
        " chain"
    )
