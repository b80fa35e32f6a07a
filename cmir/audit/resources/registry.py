"""The ESS project registry as the chain says it: every project from its events replayed
(registration, updates, status changes: wallet versions and why an inactive project is), checked
against ``projectCount`` and ``projectOf`` of every id at the block; its fundings
(``EssProjectFunded``); and the proposals whose calls name one of its wallet versions
(``fundEssProject`` / ``activateProject`` decoded from the ``ProposalCreated`` calldata, with the
Governor's ``state`` at the block)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cmir.audit.chain import Event
from cmir.audit.compare import Records, hex_lower
from cmir.audit.resources.governor import STATES
from cmir.audit.resources.proposal_records import Decoder, PayoutCall, payout_call, title, void
from cmir.audit.resources.records import tx_ref
from cmir.audit.scope import Scope

#: Why an inactive project waits for a vote (the API's ``awaiting_activation``).
AWAITING = ("registered", "wallet_changed")
#: How many fundings, changes and payouts a project's detail shows (the latest).
SHOWN = 50
REGISTRY_EVENTS = ("EssProjectRegistered", "EssProjectUpdated", "EssProjectStatusChanged")
CHANGE_KINDS = {"EssProjectRegistered": "registered", "EssProjectUpdated": "updated"}


@dataclass
class Project:
    """A project as its registry events leave it."""

    project_id: int
    owner: str
    payout_wallet: str
    metadata_uri: str
    metadata_hash: str
    registered_block: int
    registered_time: int
    active: bool = False
    wallet_version: int = 1
    inactive_reason: str | None = "registered"
    updated_time: int = 0
    changes: list[Event] = field(default_factory=list)


@dataclass(frozen=True)
class Payout:
    """A proposal's call naming one of a project's wallet versions."""

    block: int
    log_index: int
    action_index: int
    proposal_id: int
    title: str
    function: str
    call: PayoutCall


def replay(scope: Scope) -> tuple[dict[int, Project], list[str]]:
    """Every project from the registry's events, in chain order. An inactive project's reason
    is ``registered`` until its first activation, ``deactivated`` when switched off, and
    ``wallet_changed`` when a new wallet version came while it was off, unless governance had
    switched it off before (a wallet change switches an active project off in the same call)."""
    projects: dict[int, Project] = {}
    problems: list[str] = []
    switched_off: set[tuple[str, int]] = set()
    for event in scope.of("registry", *REGISTRY_EVENTS):
        a, when = event.args, int(event.timestamp or 0)
        project_id = int(a["projectId"])
        if event.name == "EssProjectRegistered":
            if project_id in projects:
                problems.append(f"ESS project {project_id} registered twice (block {event.block})")
            projects[project_id] = Project(
                project_id,
                a["owner"],
                a["payoutWallet"],
                a["metadataURI"],
                str(hex_lower(a["metadataHash"])),
                registered_block=event.block,
                registered_time=when,
                updated_time=when,
                changes=[event],
            )
            continue
        project = projects.get(project_id)
        if project is None:
            problems.append(
                f"{event.name} for ESS project {project_id}, never registered (block {event.block})"
            )
            continue
        if event.name == "EssProjectStatusChanged":
            project.active = bool(a["active"])
            project.inactive_reason = None if project.active else "deactivated"
            if not project.active:
                switched_off.add((event.tx_hash, project_id))
        else:
            version = int(a["walletVersion"])
            if version != project.wallet_version and not project.active:
                if (event.tx_hash, project_id) in switched_off or project.inactive_reason != "deactivated":
                    project.inactive_reason = "wallet_changed"
            project.wallet_version = version
            project.payout_wallet = a["payoutWallet"]
            project.metadata_uri = a["metadataURI"]
            project.metadata_hash = str(hex_lower(a["metadataHash"]))
        project.updated_time = when
        project.changes.append(event)
    return projects, problems


def check_views(scope: Scope, projects: dict[int, Project]) -> list[str]:
    """``projectCount`` and ``projectOf`` of every id at the block against the replay."""
    (count,) = scope.views([("registry", "projectCount", ())], "ESS projects")
    problems = []
    if int(count) != len(projects) or set(projects) != set(range(1, int(count) + 1)):
        problems.append(f"projectCount() {count} != the {len(projects)} projects registered by events")
    ids = sorted(projects)
    views = scope.views([("registry", "projectOf", (i,)) for i in ids], "ESS projects")
    for project_id, view in zip(ids, views, strict=True):
        p = projects[project_id]
        mine = (p.owner, p.active, p.wallet_version, p.payout_wallet, p.metadata_hash, p.metadata_uri)
        theirs = (
            view["owner"],
            bool(view["active"]),
            int(view["walletVersion"]),
            view["payoutWallet"],
            hex_lower(view["metadataHash"]),
            view["metadataURI"],
        )
        if mine != theirs:
            problems.append(f"projectOf({project_id}) {theirs} != the registry's events replayed {mine}")
    return problems


def fundings(scope: Scope) -> dict[int, list[dict[str, Any]]]:
    """Each project's fundings (EssProjectFunded, with the proposal executed in its transaction),
    as the API's FundingItem names them, in chain order."""
    # The ledger's ess_funding flows are the EssProjectFunded events, booked.
    funded = {(e.tx_hash, e.log_index): e for e in scope.of("pool", "EssProjectFunded")}
    fundings: dict[int, list[dict[str, Any]]] = {}
    for flow in scope.ledger.flows:
        if flow.kind != "ess_funding" or flow.project_id is None:
            continue
        fundings.setdefault(flow.project_id, []).append(
            {
                **tx_ref(funded[flow.key]),
                "amount": flow.amount,
                "payout_wallet": flow.recipient,
                "proposal_id": flow.proposal_id,
            }
        )
    return fundings


def change(event: Event) -> dict[str, Any]:
    """A registry event as the API's ProjectChange names it."""
    a = event.args
    record: dict[str, Any] = {
        **tx_ref(event),
        "kind": CHANGE_KINDS.get(event.name, "status"),
        "payout_wallet": a.get("payoutWallet"),
        "metadata_uri": a["metadataURI"][:2000] if "metadataURI" in a else None,
        "metadata_hash": hex_lower(a["metadataHash"]) if "metadataHash" in a else None,
        "active": None,
        "wallet_version": None,
    }
    if event.name == "EssProjectRegistered":
        record.update(active=False, wallet_version=1)
    elif event.name == "EssProjectUpdated":
        record["wallet_version"] = int(a["walletVersion"])
    else:
        record["active"] = bool(a["active"])
    return record


def payouts(scope: Scope) -> dict[int, list[Payout]]:
    """Every proposal call naming a project's wallet version, by project: ``fundEssProject`` to
    the pool and ``activateProject`` to the registry, decoded from ``ProposalCreated`` (only the
    calls that decode: the API's indexer records no other)."""
    decoder = Decoder(scope.contracts)
    found: dict[int, list[Payout]] = {}
    for event in scope.of("governor", "ProposalCreated"):
        a = event.args
        for index, (target, calldata) in enumerate(zip(a["targets"], a["calldatas"], strict=True)):
            fields, raw = decoder.decode(str(target), bytes(calldata))
            call = payout_call(fields, raw)
            if call is not None:
                found.setdefault(call.project_id, []).append(
                    Payout(
                        block=event.block,
                        log_index=event.log_index,
                        action_index=index,
                        proposal_id=int(a["proposalId"]),
                        title=title(str(a["description"])),
                        function=str(fields["function"]),
                        call=call,
                    )
                )
    return found


def states(scope: Scope, proposal_ids: set[int]) -> dict[int, str]:
    """The Governor's ``state`` of each proposal at the block, as the API names it."""
    ids = sorted(proposal_ids)
    values = scope.views([("governor", "state", (i,)) for i in ids], "proposal states")
    return {i: STATES[int(v)] if int(v) < len(STATES) else str(v) for i, v in zip(ids, values, strict=True)}


def payout_records(payouts: list[Payout], project: Project, states: dict[int, str]) -> Records:
    """A project's latest payouts (newest proposal first, then by action) as the API names them;
    void when the proposal may still run but names a wallet that is no longer the project's."""
    chosen = sorted(payouts, key=lambda p: (-p.block, -p.log_index, p.action_index))[:SHOWN]
    records: Records = {}
    for p in chosen:
        state = states.get(p.proposal_id, "unknown")
        records[f"{p.proposal_id}#{p.action_index}"] = {
            "proposal_id": p.proposal_id,
            "proposal_title": p.title,
            "proposal_state": state,
            "action_index": p.action_index,
            "function": p.function,
            "payout_wallet": p.call.payout_wallet,
            "wallet_version": p.call.wallet_version,
            "amount": p.call.amount,
            "void": void(state, p.call, project.payout_wallet, project.wallet_version),
        }
    return records
