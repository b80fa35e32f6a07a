"""The ESS directory: projects with their checked off-chain metadata and their fundings."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from cmir.api.schemas.common import Amount, AsOf, PageMeta, Schema, TxRef


class Territory(Schema):
    """A territory code the project declares, with its department and region when known."""

    code: str
    department: str | None
    department_name: str | None
    region: str | None
    region_name: str | None


class ProjectItem(Schema):
    """A registered ESS project. Metadata fields are null unless its document matched the hash
    registered on chain (`metadata_status` ok)."""

    id: str = Field(description="project id in the registry")
    name: str | None
    legal_form: str | None
    themes: list[str]
    territories: list[Territory]
    description: str | None = Field(description="cut to 500 characters in lists")
    active: bool = Field(description="fundable by governance now")
    wallet_version: int = Field(
        ge=1, description="counts the project's payout wallets: fundings and activations name it"
    )
    inactive_reason: Literal["registered", "wallet_changed", "deactivated"] | None = Field(
        description="why an inactive project is: registered by a member and never activated, its "
        "wallet changed since it was, or switched off by governance; null while active"
    )
    awaiting_activation: bool = Field(
        description="inactive until governance votes to activate it (newly registered, or a new wallet)"
    )
    owner: str
    payout_wallet: str
    metadata_uri: str
    metadata_hash: str
    metadata_status: str = Field(description="pending, ok, mismatch, unreachable, invalid or unsupported")
    registered_at: datetime | None
    registered_block: int
    updated_at: datetime | None
    funded_total: Amount
    funding_count: int
    explorer_url: str | None = Field(description="the payout wallet on the explorer")


class ProjectList(Schema):
    """A page of projects (by relevance when searching, else by id)."""

    items: list[ProjectItem]
    page: PageMeta


class FundingItem(TxRef):
    """ESS money paid to the project by governance."""

    amount: Amount
    payout_wallet: str
    proposal_id: str | None


class ProjectChange(TxRef):
    """A registration, update or status change."""

    kind: str
    payout_wallet: str | None
    metadata_uri: str | None
    metadata_hash: str | None
    active: bool | None
    wallet_version: int | None = Field(description="after a registration or an update")


class Payout(Schema):
    """A proposal's call naming one of the project's wallet versions: a funding
    (fundEssProject) or an activation (activateProject). Once the project's wallet has changed,
    the call can never succeed: it is void."""

    proposal_id: str
    proposal_title: str
    proposal_state: str = Field(description="the Governor's state at the indexed block")
    action_index: int
    function: Literal["fundEssProject", "activateProject"]
    payout_wallet: str | None = Field(description="the wallet a funding pays (null for an activation)")
    wallet_version: int
    amount: Amount | None = Field(description="null for an activation")
    void: bool = Field(
        description="the proposal may still be executed but the project's wallet changed since: "
        "executing it would revert"
    )


class ProjectDetail(ProjectItem):
    """One project with its fundings, history and the proposals naming it (latest 50 of each)."""

    metadata_error: str | None
    fundings: list[FundingItem]
    fundings_total: int
    history: list[ProjectChange]
    payouts: list[Payout] = Field(description="proposals that fund or activate it, newest first")


class FundingList(Schema):
    """A page of fundings, newest first."""

    items: list[FundingItem]
    limit: int
    next_cursor: str | None


class FacetValue(Schema):
    """A filter value and how many projects have it."""

    value: str
    label: str
    count: int


class Facets(Schema):
    """Values to filter the directory by, with counts (projects with checked metadata)."""

    as_of: AsOf
    themes: list[FacetValue]
    legal_forms: list[FacetValue]
    regions: list[FacetValue]
    departments: list[FacetValue]
