"""Governance: every proposal (``/governance/proposals``, each one's detail), every vote
(``/governance/votes``), the guardian's cancellations
(``/governance/guardian-cancellations``) and the governed settings (``/governance/settings``)
against the Governor replayed from its events and read by its views at the block (`governor`,
in the API's shape by `proposal_records`).

Every field the API serves is compared, into nested objects and lists, named by its path
(``proposal 123: quorum.required API 17 != chain 18``, ``vote 123/0xAbc…: support API for !=
chain against``), and every field of the chain's records must be served (`compare` with
``absent``). A proposal's timeline is compared by step. An explorer link must hold the
transaction it links to (`normalise`: the API builds the rest from its own configuration; a
network without an explorer has none). The API's lists and details are read in parallel
pages, never one request per item in a loop: for N proposals and V votes, ⌈N/200⌉ list pages,
N details (in parallel) and ⌈V/200⌉ pages of ``/governance/votes``, one after the other along its
cursor while the chain is read (an API without that route: each proposal's votes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cmir.audit.api import PAGE, Api
from cmir.audit.chain import AuditError
from cmir.audit.compare import ABSENT, UNREAD, Difference, address, by_key, compare, diff, normalise, short
from cmir.audit.resources import proposal_records as records
from cmir.audit.resources.governor import Governance, read_views, replay
from cmir.audit.scope import ResourceResult, Scope, no_progress


def check(scope: Scope) -> list[ResourceResult]:
    """Proposals, votes, guardian cancellations and governance settings: the replay against the
    views (problems), then, with an API, what it serves against both (differences)."""
    g = replay(scope)
    decoder = records.Decoder(scope.contracts)
    read_views(scope, g, records.payout_projects(decoder, g))
    cancelled = [p for p in g.proposals.values() if p.by_guardian is not None]
    proposals = ResourceResult("proposals", checked=len(g.proposals), problems=g.problems)
    votes = ResourceResult("votes", checked=len(g.votes), problems=g.vote_problems)
    cancellations = ResourceResult("guardian cancellations", checked=len(cancelled))
    settings = ResourceResult("governance settings", checked=1, problems=g.setting_problems)
    results = [proposals, votes, cancellations, settings]
    if scope.api is None:
        return results
    api = scope.api
    listed = api.items("/governance/proposals")
    # Whether the API links transactions to an explorer: then every link must name its own.
    explorer = any(item.get("explorer_url") for item in listed)

    def link(tx_hash: str | None) -> str | None:
        return tx_hash.lower() if explorer and tx_hash else None

    chain_details = {str(p.id): records.detail(decoder, g, p, link) for p in g.proposals.values()}
    proposals.differences = _compare_proposals(api, chain_details, listed)
    votes.differences = _compare_votes(scope, api, g, link, {str(i["id"]) for i in listed})
    cancellations.differences = compare(
        "guardian cancellation",
        {str(p.id): records.cancellation_item(p, link) for p in cancelled},
        by_key(api.items("/governance/guardian-cancellations"), _key("proposal_id")),
        absent=True,
    )
    settings.differences = compare(
        "governance",
        {"settings": records.settings(g, scope.block, scope.ledger.block_hash)},
        {"settings": api.get("/governance/settings")},
        absent=True,
    )
    return results


def _compare_proposals(
    api: Api, chain: dict[str, dict[str, Any]], listed: list[dict[str, Any]]
) -> list[Difference]:
    """Each proposal as listed, then its detail (a listed field the detail serves differently
    than the list is named ``detail.<field>``, not twice the same difference)."""
    differences: list[Difference] = []
    items = by_key(listed, _key("id"), "proposal", differences)
    detail_fields = ("description", "actions", "timeline", "eta")
    chain_items = {key: {k: v for k, v in d.items() if k not in detail_fields} for key, d in chain.items()}
    differences += compare("proposal", chain_items, items, absent=True)
    ids = [key for key in items if key in chain]
    served = api.get_many([f"/governance/proposals/{key}" for key in ids], tolerant=True)
    for key, detail in zip(ids, served, strict=True):
        if isinstance(detail, AuditError):  # listed, yet no detail
            differences.append(Difference(f"proposal {key}", str(detail)[:200], "present", field="detail"))
            continue
        mine, theirs = normalise(chain[key]), normalise(_by_step(detail))
        for name in detail_fields:
            diff(f"proposal {key}", theirs.pop(name, ABSENT), mine[name], name, differences, absent=True)
        listed_item = normalise(items[key])
        for name, value in theirs.items():
            if name not in listed_item or value != listed_item[name]:
                sub = f"detail.{name}"
                diff(f"proposal {key}", value, mine.get(name, UNREAD), sub, differences, absent=True)
        differences += [
            Difference(f"proposal {key}", ABSENT, short(mine.get(name)), field=f"detail.{name}")
            for name in listed_item
            if name not in theirs
        ]
    return differences


def _compare_votes(
    scope: Scope, api: Api, g: Governance, link: records.Link, listed: set[str]
) -> list[Difference]:
    """Every vote, keyed by proposal and voter, from ``/governance/votes`` (⌈votes/200⌉ pages,
    prefetched); from each listed proposal's own votes when the API does not serve that
    route (an older API)."""
    served = _all_votes(scope, api)
    if served is None:
        return _compare_votes_by_proposal(scope, api, g, link, listed)
    chain = {f"{v.proposal_id}/{v.voter}": records.vote(v, link) for v in g.votes}
    differences: list[Difference] = []
    theirs = _votes_by_key(served, differences)
    return differences + compare("vote", chain, theirs, absent=True)


def _all_votes(scope: Scope, api: Api) -> list[dict[str, Any]] | None:
    """Every vote ``/governance/votes`` lists (its first page, then the others at once), None
    when the API does not serve that route."""

    def progress(pages: int) -> Callable[[int], None]:
        return scope.progress("API: votes", pages) if pages > 10 else no_progress("", pages)

    pages = api.pages("/governance/votes", progress)
    try:
        first = next(pages)
    except AuditError as error:
        if " answered 404" in str(error):
            return None
        raise
    return [item for page in (first, *pages) for item in page["items"]]


def _votes_by_key(served: list[dict[str, Any]], differences: list[Difference]) -> dict[str, dict[str, Any]]:
    """Votes by proposal and voter, the vote's key (a vote moved to another is missing from one
    and extra in the other), its proposal left out of its fields; one listed twice is a
    difference."""
    keyed = by_key(
        served, lambda v: f"{normalise(v.get('proposal_id'))}/{address(v.get('voter'))}", "vote", differences
    )
    return {key: {k: v for k, v in vote.items() if k != "proposal_id"} for key, vote in keyed.items()}


def _compare_votes_by_proposal(
    scope: Scope, api: Api, g: Governance, link: records.Link, listed: set[str]
) -> list[Difference]:
    """Every vote of every proposal the API lists (all pages, read in parallel: as many as the
    chain's votes need first, then any further page the API's totals call for); a proposal the
    API does not list is one difference for all its votes."""
    chain: dict[str, dict[str, Any]] = {}
    differences: list[Difference] = []
    for p in g.proposals.values():
        key = str(p.id)
        if key not in listed:
            if p.votes:
                differences.append(Difference(f"votes of proposal {key}", "missing", len(p.votes)))
            continue
        for v in p.votes:
            chain[f"{key}/{v.voter}"] = records.vote(v, link)
    expected = {key: len(p.votes) for key, p in ((str(p.id), p) for p in g.proposals.values())}
    pages = [
        (key, offset) for key in sorted(listed) for offset in range(0, max(expected.get(key, 0), 1), PAGE)
    ]
    served: list[dict[str, Any]] = []
    advance = scope.progress("API: votes", len(pages)) if len(pages) > 50 else no_progress("", 0)
    while pages:
        answers = api.get_many(
            [f"/governance/proposals/{key}/votes?limit={PAGE}&offset={o}" for key, o in pages],
            tolerant=True,
            advance=advance,
        )
        more: list[tuple[str, int]] = []
        for (key, offset), page in zip(pages, answers, strict=True):
            if isinstance(page, AuditError):  # listed, yet its votes are not served
                differences.append(
                    Difference(f"votes of proposal {key}", str(page)[:200], expected.get(key, 0))
                )
                continue
            served += [{**vote, "proposal_id": key} for vote in page["items"]]
            total = int(page["page"]["total"])
            if offset == 0 and total > max(expected.get(key, 0), 1):  # more than the chain's: read them all
                more += [(key, o) for o in range(max(expected.get(key, 0), 1), total, PAGE)]
        pages = more
    theirs = _votes_by_key(served, differences)
    return differences + compare("vote", chain, theirs, absent=True)


def _by_step(detail: dict[str, Any]) -> dict[str, Any]:
    """A proposal's detail with its timeline keyed by step (a step listed twice keeps both)."""
    steps: dict[str, Any] = {}
    for entry in detail.get("timeline") or []:
        step = str(entry.get("step"))
        name = step if step not in steps else f"{step} (again)"
        steps[name] = {k: v for k, v in entry.items() if k != "step"}
    return {**detail, "timeline": steps}


def _key(name: str) -> Callable[[dict[str, Any]], str]:
    """An item's key: one of its fields, as text."""
    return lambda item: str(item.get(name))
