"""The ESS directory as the API serves it, against the registry (`registry`) and the documents
the auditor fetched itself (`metadata`): ``/ess/projects`` (every page), each project's detail
(its metadata error, latest fundings, changes and the proposals naming it), each project's
``/fundings`` (every page) and ``/ess/facets``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cmir.audit.api import parallel
from cmir.audit.chain import AuditError
from cmir.audit.compare import (
    Difference,
    Records,
    address,
    by_key,
    compare,
    event_id,
    hex_lower,
    position,
    seconds,
    units,
)
from cmir.audit.resources import metadata, registry
from cmir.audit.resources.metadata import Verdict
from cmir.audit.resources.registry import AWAITING, SHOWN, Project
from cmir.audit.scope import ResourceResult, Scope


def verdicts(projects: dict[int, Project], root: Path | None = None) -> dict[int, Verdict]:
    """Each project's document fetched (once per URI; ``file://`` ones under `root`) and checked
    against its hash."""
    fetched = metadata.fetch_all((p.metadata_uri for p in projects.values()), root)
    return {i: metadata.verdict(fetched[p.metadata_uri], p.metadata_hash) for i, p in projects.items()}


def _expected_status(project_id: int, verdict: Verdict, served: str | None) -> tuple[str, str | None]:
    """The metadata status the API should serve, and a note. The API's ``pending`` (not checked
    yet) is accepted; a document the auditor could not read is a note when the API could not
    either, a difference when the API claims to know what it holds."""
    if verdict.verified:
        if served == "pending":
            return "pending", f"ESS project {project_id}: metadata not checked by the API yet (pending)"
        return verdict.status, None
    note = (
        f"ESS project {project_id}: metadata not verified by the auditor: {verdict.status} ({verdict.error})"
    )
    if served in ("pending", "unreachable", "unsupported"):
        return served, note
    return f"not verifiable by the auditor ({verdict.status}: {verdict.error})", note


def records(
    projects: dict[int, Project],
    verdicts: dict[int, Verdict],
    statuses: dict[str, Any],
    fundings: dict[int, list[dict[str, Any]]],
) -> tuple[dict[int, dict[str, Any]], list[str]]:
    """Each project's fields as the API's ProjectItem names them (the metadata fields filled
    from the document only when its status is ``ok``, as the API does), and the notes."""
    records: dict[int, dict[str, Any]] = {}
    notes: list[str] = []
    for project_id, p in projects.items():
        verdict = verdicts[project_id]
        status, note = _expected_status(project_id, verdict, statuses.get(str(project_id)))
        if note:
            notes.append(note)
        paid = fundings.get(project_id, [])
        records[project_id] = {
            "document": verdict.document if status == "ok" else None,
            # False: the API claims a document the auditor could not read (its status differs)
            "verified": verdict.verified or status in ("pending", "unreachable", "unsupported"),
            "active": p.active,
            "wallet_version": p.wallet_version,
            "inactive_reason": None if p.active else p.inactive_reason,
            "awaiting_activation": not p.active and p.inactive_reason in AWAITING,
            "owner": p.owner,
            "payout_wallet": p.payout_wallet,
            "metadata_uri": p.metadata_uri[:2000],
            "metadata_hash": p.metadata_hash,
            "metadata_status": status,
            "metadata_error": None if status in ("ok", "pending") else "present",
            "registered_at": p.registered_time,
            "registered_block": p.registered_block,
            "updated_at": p.updated_time,
            "funded_total": sum(f["amount"] for f in paid),
            "funding_count": len(paid),
        }
    return records, notes


def check_list(records: dict[int, dict[str, Any]], served: list[dict[str, Any]]) -> list[Difference]:
    """``/ess/projects`` (every page) against the registry's projects."""
    listed = {str(item["id"]): api_item(item) for item in served}
    return compare("ESS project", chain_items(records, 500, listed), listed)


def chain_items(
    records: dict[int, dict[str, Any]], description_max: int, served: dict[str, dict[str, Any]]
) -> Records:
    """The records with the document's fields cut as the list (or the detail) serves them."""
    items: Records = {}
    for project_id, record in records.items():
        item = {k: v for k, v in record.items() if k not in ("document", "verified")}
        item.update(metadata.directory_fields(record["document"], description_max))
        item.update(_unverified(record, served.get(str(project_id), {})))
        items[str(project_id)] = item
    return items


def api_item(item: dict[str, Any]) -> dict[str, Any]:
    """A ProjectItem normalised as the chain records are. ``explorer_url`` is left out: a link
    built from the payout wallet (compared) and the operator's explorer setting, not the mirror."""
    record = {k: v for k, v in item.items() if k not in ("id", "explorer_url")}
    for name in ("owner", "payout_wallet"):
        record[name] = address(record.get(name))
    record["metadata_hash"] = hex_lower(record.get("metadata_hash"))
    for name in ("registered_at", "updated_at"):
        record[name] = seconds(record.get(name))
    record["funded_total"] = units(record.get("funded_total"))
    if isinstance(record.get("territories"), list):
        record["territories"] = [metadata.api_territory(t) for t in record["territories"]]
    return record


def _unverified(record: dict[str, Any], served: dict[str, Any]) -> dict[str, Any]:
    """When the API claims a document the auditor could not read, its metadata fields are taken
    as served (the status differs already: one difference, not six)."""
    if record["verified"]:
        return {}
    names = ("name", "legal_form", "themes", "territories", "description", "metadata_error")
    return {n: served[n] for n in names if n in served}


def check_details(
    scope: Scope,
    projects: dict[int, Project],
    records: dict[int, dict[str, Any]],
    fundings: dict[int, list[dict[str, Any]]],
    result: ResourceResult,
) -> None:
    """Each project's detail: its fields, metadata error, latest fundings, changes and payouts."""
    assert scope.api is not None
    ids = sorted(projects)
    details = scope.api.get_many([f"/ess/projects/{i}" for i in ids], tolerant=True)
    payouts = registry.payouts(scope)
    states = registry.states(scope, {p.proposal_id for calls in payouts.values() for p in calls})
    shown: dict[str, dict[str, Any]] = {}
    for project_id, detail in zip(ids, details, strict=True):
        if isinstance(detail, AuditError):
            result.differences.append(
                Difference(f"ESS project {project_id} (detail)", str(detail), "registered")
            )
            continue
        item = api_item({k: v for k, v in detail.items() if k not in ("fundings", "history", "payouts")})
        # The error's wording is the API's own: whether there is one is what can be checked.
        item["metadata_error"] = None if item.get("metadata_error") is None else "present"
        shown[str(project_id)] = item
    mine_items = chain_items(records, 20_000, shown)
    for project_id, detail in zip(ids, details, strict=True):
        if isinstance(detail, AuditError):
            continue
        what = f"ESS project {project_id}"
        mine = {**mine_items[str(project_id)], "fundings_total": len(fundings.get(project_id, []))}
        result.differences += compare(what, {"(detail)": mine}, {"(detail)": shown[str(project_id)]})
        paid = sorted(fundings.get(project_id, []), key=position, reverse=True)[:SHOWN]
        result.differences += compare(
            f"{what} funding",
            by_key(paid, event_id),
            by_key((_api_tx(f) for f in detail.get("fundings", [])), event_id),
        )
        changes = sorted(projects[project_id].changes, key=lambda e: e.key, reverse=True)[:SHOWN]
        result.differences += compare(
            f"{what} change",
            by_key((registry.change(e) for e in changes), event_id),
            by_key((_api_tx(h) for h in detail.get("history", [])), event_id),
        )
        result.differences += compare(
            f"{what} payout",
            registry.payout_records(payouts.get(project_id, []), projects[project_id], states),
            {
                f"{p.get('proposal_id')}#{p.get('action_index')}": _api_payout(p)
                for p in detail.get("payouts", [])
            },
        )


def _api_tx(item: dict[str, Any]) -> dict[str, Any]:
    """An event the API serves (fundings, changes) normalised, each field the chain's record has
    named even where the API leaves it out (it then differs); its explorer link left out."""
    record = {k: v for k, v in item.items() if k != "explorer_url"}
    record["tx_hash"] = hex_lower(record.get("tx_hash"))
    record["time"] = seconds(record.get("time"))
    if "amount" in record:
        record["amount"] = units(record["amount"])
    if "proposal_id" in record and record["proposal_id"] is not None:
        record["proposal_id"] = int(record["proposal_id"])
    for name in ("payout_wallet",):
        record[name] = address(record.get(name))
    if "metadata_hash" in record:
        record["metadata_hash"] = hex_lower(record["metadata_hash"])
    return record


def _api_payout(item: dict[str, Any]) -> dict[str, Any]:
    record = dict(item)
    record["proposal_id"] = int(record["proposal_id"]) if record.get("proposal_id") is not None else None
    record["payout_wallet"] = address(record.get("payout_wallet"))
    record["amount"] = units(record.get("amount"))
    return record


def check_fundings(
    scope: Scope, projects: dict[int, Project], fundings: dict[int, list[dict[str, Any]]]
) -> list[Difference]:
    """Every project's fundings (``/ess/projects/{id}/fundings``, all pages) against its
    EssProjectFunded events."""
    assert scope.api is not None
    api = scope.api
    ids = sorted(set(projects) | set(fundings))

    pages = parallel(lambda i: api.items(f"/ess/projects/{i}/fundings"), ids, tolerant=True)
    differences: list[Difference] = []
    for project_id, served in zip(ids, pages, strict=True):
        of = f" of ESS project {project_id}"
        if isinstance(served, AuditError):  # an unknown project: 404
            differences.append(
                Difference(f"fundings{of}", str(served), f"{len(fundings.get(project_id, []))}")
            )
            continue
        differences += compare(
            "funding",
            {event_id(f) + of: f for f in fundings.get(project_id, [])},
            {event_id(f) + of: f for f in (_api_tx(item) for item in served)},
        )
    return differences


def check_facets(
    scope: Scope, projects: dict[int, Project], verdicts: dict[int, Verdict], statuses: dict[str, Any]
) -> tuple[int, list[Difference], list[str]]:
    """``/ess/facets`` counted from the documents of the projects whose metadata is ``ok``."""
    assert scope.api is not None
    unverified = [i for i, v in verdicts.items() if not v.verified and statuses.get(str(i)) == "ok"]
    if unverified:
        return 0, [], [f"ESS facets not compared: the auditor could not read the documents of {unverified}"]
    # The projects the API counts (status ok) whose document the auditor found ok: a status
    # that differs is named with the project, not again with every facet it touches.
    documents = [
        v.document
        for i, v in verdicts.items()
        if v.document is not None and statuses.get(str(i)) == "ok" and i in projects
    ]
    counts = metadata.facet_counts(documents)
    served = scope.api.get("/ess/facets")
    differences: list[Difference] = []
    checked = 0
    for facet, counter in counts.items():
        values = {str(v.get("value")): v for v in served.get(facet, [])}
        mine = dict(counter.most_common(200))
        # Past 200 values the API shows the 200 most frequent (ties in any order): only those.
        keys = set(mine) | set(values) if len(counter) <= 200 else set(values)
        for value in sorted(keys):
            checked += 1
            item = values.get(value)
            got = item.get("count") if item else None
            if got != counter.get(value):
                differences.append(
                    Difference(f"ESS facet {facet} {value!r}", got, counter.get(value), "count")
                )
            if facet == "legal_forms" and item and item.get("label") != value:
                differences.append(
                    Difference(f"ESS facet {facet} {value!r}", item.get("label"), value, "label")
                )
    return checked, differences, []


def names(
    projects: dict[int, Project], verdicts: dict[int, Verdict], statuses: dict[str, Any]
) -> dict[int, str | None]:
    """Each project's name as the Sankey graph labels it (None: not verifiable). The graph reads
    the document the API holds, which it holds only when its status is ``ok``."""
    names: dict[int, str | None] = {}
    for project_id in projects:
        verdict, status = verdicts[project_id], statuses.get(str(project_id))
        if status != "ok":
            names[project_id] = f"Projet {project_id}"
        elif verdict.document is not None:
            name = verdict.document.get("name")
            names[project_id] = str(name or f"Projet {project_id}")[:80]
        else:
            names[project_id] = None
    return names
