"""Shapes of the relayer's routes (``/relay``) and of the ESS metadata store (``/ess/metadata``):
what a member sends (a signed request, a signed ballot, a document) and what it reads back."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from cmir.api.schemas.common import PageMeta, Schema

ADDRESS = r"^0x[0-9a-fA-F]{40}$"
HEX = r"^0x([0-9a-fA-F]{2})*$"
SIGNATURE = r"^0x[0-9a-fA-F]{130}$"
UINT = r"^[0-9]{1,78}$"
UINT256_MAX = (1 << 256) - 1
MAX_CALLDATA_HEX = 2 + 2 * 24_576  # a contract's code-size bound: more is not a member action
MAX_REASON = 2_000

RequestStatus = Literal["accepted", "sent", "confirmed", "failed", "expired"]


class Body(BaseModel):
    """Base of the request bodies: closed objects."""

    model_config = ConfigDict(extra="forbid")


def _uint(value: Any) -> int:
    """A uint256 given as a JSON number or a decimal (or 0x) string."""
    if isinstance(value, bool):
        raise ValueError("expected an unsigned integer")
    if isinstance(value, str):
        value = (
            int(value, 16) if value.lower().startswith("0x") else int(value, 10) if value.isdigit() else -1
        )
    if not isinstance(value, int) or not 0 <= value <= UINT256_MAX:
        raise ValueError("expected an unsigned 256-bit integer (a number or a decimal string)")
    return value


class ForwardRequestBody(Body):
    """OpenZeppelin's ``ForwardRequest`` as the member signed it (EIP-712, the forwarder's
    domain), with the nonce it signed with."""

    from_: str = Field(alias="from", pattern=ADDRESS, description="the signer, who acts")
    to: str = Field(pattern=ADDRESS, description="the CMIR contract called")
    value: int = Field(default=0, description="ether sent with the call: must be 0")
    gas: int = Field(ge=0, description="gas the call gets (the relayer caps it)")
    nonce: int = Field(description="the forwarder's nonces(from) when signed")
    deadline: int = Field(ge=0, lt=1 << 48, description="Unix time after which the request is void (uint48)")
    data: str = Field(pattern=HEX, max_length=MAX_CALLDATA_HEX, description="the encoded call, 0x-hex")

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    _uints = field_validator("value", "gas", "nonce", mode="before")(_uint)


class ForwardBody(Body):
    """``POST /relay/forward``: a signed request for the ERC-2771 forwarder."""

    request: ForwardRequestBody
    signature: str = Field(pattern=SIGNATURE, description="65-byte EIP-712 signature (r, s, v), 0x-hex")


class VoteBody(Body):
    """``POST /relay/vote``: a ballot signed for the Governor's ``castVoteWithReasonAndParamsBySig``
    (EIP-712 ``ExtendedBallot``, the Governor's domain, its ``nonces(voter)``, empty params)."""

    proposal_id: int = Field(description="the proposal's id (a uint256: a decimal string is safest)")
    support: int = Field(ge=0, le=2, description="0 Against, 1 For, 2 Abstain")
    voter: str = Field(pattern=ADDRESS)
    reason: str = Field(default="", max_length=MAX_REASON)
    signature: str = Field(pattern=SIGNATURE)

    _uints = field_validator("proposal_id", mode="before")(_uint)


class RelayRequestOut(Schema):
    """One request the relayer accepted and what became of it."""

    id: int
    kind: Literal["forward", "vote"]
    status: RequestStatus = Field(
        description="accepted (stored, not sent yet), sent (transaction broadcast), confirmed (mined),"
        " failed (refused by the chain: see error and explanation), expired (its deadline passed unsent)"
    )
    signer: str
    target: str = Field(description="the contract called")
    function: str
    nonce: str
    deadline: datetime
    tx_hash: str | None
    explorer_url: str | None
    block_number: int | None
    gas_used: int | None
    attempts: int
    error: str | None = Field(description="the custom error's name when the call reverted")
    explanation: str | None = Field(description="the revert in one sentence (the CLI's), or the last failure")
    created_at: datetime
    updated_at: datetime


class RelayRequestList(Schema):
    """A page of requests, newest first."""

    items: list[RelayRequestOut]
    page: PageMeta


class Budget(Schema):
    """What a member may still have relayed today (UTC)."""

    address: str
    day: str = Field(description="the UTC day counted (YYYY-MM-DD)")
    requests_used: int
    requests_allowed: int
    gas_used: int = Field(description="gas of mined requests, and the estimate of those not mined yet")
    gas_allowed: int
    resets_at: datetime = Field(description="next midnight UTC")


class RelayInfo(Schema):
    """Whether the API relays, through what, and within which limits."""

    enabled: bool
    reason: str | None = Field(description="why not, when it does not")
    forwarder: str | None
    governor: str | None
    functions: dict[str, list[str]] = Field(description="the member actions relayed, by contract role")
    daily_requests: int
    daily_gas: int
    max_gas: int
    max_deadline_seconds: int


class Refusal(Schema):
    """A refused request: `detail` says why; a simulated revert also names the custom error and
    explains it in one sentence (as the CLI does); a malformed body lists each problem."""

    detail: str
    error: str | None = None
    explanation: str | None = None
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="each invalid field (a malformed body)"
    )


class MetadataStored(Schema):
    """Where the API serves the document back, byte for byte, and its keccak-256 (the hash to
    register on chain with the URI)."""

    uri: str
    hash: str = Field(pattern=r"^0x[0-9a-f]{64}$")
    size: int
