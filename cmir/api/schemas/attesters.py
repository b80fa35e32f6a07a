"""Attesters of ESS structures (named by governance) and their attestations."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from cmir.api.schemas.common import PageMeta, Schema, TxRef


class AttesterItem(Schema):
    """An account governance made an attester (a regional CRESS, say), and whether it still is."""

    address: str
    allowed: bool = Field(description="still an attester (isAttester)")
    changed_at: datetime | None = Field(description="when governance last named or removed it")
    changed_block: int
    attestations: int = Field(ge=0, description="accounts it attested")
    explorer_url: str | None


class AttesterList(Schema):
    """A page of attesters, in the order they were first named."""

    items: list[AttesterItem]
    page: PageMeta


class AttestationItem(TxRef):
    """An attester attested that `account` is an ESS structure: it may then accept an invitation
    as one, while the attestation is its latest (attestationOf) and the attester still is one."""

    account: str
    attester: str
    latest: bool = Field(description="the account's latest attestation (attestationOf)")
    counts: bool = Field(description="latest, and its attester is still one")
    member: bool = Field(description="the account has joined")


class AttestationList(Schema):
    """A page of attestations, newest first."""

    items: list[AttestationItem]
    page: PageMeta
