"""Every paid relation (``RelationPaid``) against ``/relations``: payer, counterparty, reference,
amount and split, the members' part that went to ESS, epoch, both sponsors and every party's
points, the accumulator after the split; and, for the sampled members (``--sample``), their own
``/members/{address}/relations`` pages (direction and the points each earned).

200,000 relations are 1,000 pages: the auditor walks the block range in a few slices at once
(``from_block``/``to_block``, keyset pages inside each), compares each page as it arrives, and
keeps the chain's side as tuples (a dict per relation would hold hundreds of MB).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from cmir.audit.api import PAGE, Api, parallel
from cmir.audit.chain import AuditError, Event
from cmir.audit.compare import UNREAD, Difference, address, event_id, hex_lower, number, seconds, units
from cmir.audit.resources.records import ZERO
from cmir.audit.scope import ResourceResult, Scope

#: A relation's fields as ``/relations`` names them, in the order of the chain's tuples.
FIELDS = (
    "tx_hash",
    "block_number",
    "log_index",
    "time",
    "payer",
    "counterparty",
    "relation_ref",
    "amount",
    "to_members",
    "to_ess",
    "to_collective",
    "members_to_ess",
    "epoch",
    "payer_sponsor",
    "counterparty_sponsor",
    "payer_points",
    "counterparty_points",
    "payer_sponsor_points",
    "counterparty_sponsor_points",
    "reward_per_point",
)
AMOUNTS = {"amount", "to_members", "to_ess", "to_collective", "members_to_ess"}
ADDRESSES = {"payer", "counterparty", "payer_sponsor", "counterparty_sponsor"}
#: Slices of the block range read at once.
SLICES = 4
#: A member's relation as ``/members/{address}/relations`` names it (besides FIELDS it shares).
MEMBER_FIELDS = (*FIELDS[:13], "direction", "points_earned")

Row = tuple[Any, ...]
#: What an item may carry besides its fields: its id, and a link built from the tx hash (compared).
_KNOWN: dict[tuple[str, ...], frozenset[str]] = {
    names: frozenset({*names, "id", "explorer_url"}) for names in (FIELDS, MEMBER_FIELDS)
}


def _row(event: Event, members_to_ess: int | None) -> Row:
    a, points, split = event.args, event.args["points"], event.args["split"]
    return (
        event.tx_hash,
        event.block,
        event.log_index,
        event.timestamp,
        a["payer"],
        a["counterparty"],
        hex_lower(a["relationRef"]),
        int(a["amount"]),
        int(split["toMembers"]),
        int(split["toEss"]),
        int(split["toCollective"]),
        members_to_ess,
        int(a["epoch"]),
        None if points["payerSponsor"] == ZERO else points["payerSponsor"],
        None if points["counterpartySponsor"] == ZERO else points["counterpartySponsor"],
        int(points["payerPoints"]),
        int(points["counterpartyPoints"]),
        int(points["payerSponsorPoints"]),
        int(points["counterpartySponsorPoints"]),
        int(a["rewardPerPoint"]),
    )


@lru_cache(maxsize=4096)
def _time(value: Any) -> Any:
    return seconds(value)  # relations of a block share its time: parsed once


#: How each field the API serves is normalised (a relation is 20 fields: 4 million at 200,000).
_NORMALISE: dict[str, Callable[[Any], Any]] = {
    **dict.fromkeys(AMOUNTS, units),
    **dict.fromkeys(ADDRESSES, address),
    "tx_hash": hex_lower,
    "relation_ref": hex_lower,
    "time": _time,
}


def _api_row(item: dict[str, Any], names: tuple[str, ...]) -> Row:
    return tuple(_NORMALISE.get(name, number)(item.get(name)) for name in names)


def chain_rows(scope: Scope) -> dict[str, Row]:
    """Every relation by id (``<block>-<log index>``), in chain order."""
    to_ess = {f.key: f.members_to_ess for f in scope.ledger.flows if f.kind == "relation"}
    return {
        f"{e.block}-{e.log_index}": _row(e, to_ess.get((e.tx_hash, e.log_index)))
        for e in scope.of("pool", "RelationPaid")
    }


def check(scope: Scope) -> ResourceResult:
    """Every relation against ``/relations`` (and the sampled members' own pages)."""
    result = ResourceResult("relations")
    rows = chain_rows(scope)
    result.checked = len(rows)
    if scope.api is None:
        return result
    result.differences += _check_all(scope, scope.api, rows)
    if scope.sample is not None:
        checked, differences = _check_members(scope.api, rows, scope.sample)
        result.checked += checked
        result.differences += differences
    return result


def _slices(rows: dict[str, Row], block: int) -> list[tuple[int, int]]:
    """Block ranges covering 0..`block`, each holding about as many relations."""
    blocks = [row[1] for row in rows.values()]
    starts = sorted({0, *(blocks[len(blocks) * k // SLICES] for k in range(1, SLICES) if blocks)})
    return [(start, (starts[i + 1] - 1) if i + 1 < len(starts) else block) for i, start in enumerate(starts)]


def _compare(
    key: str, mine: Row | None, item: dict[str, Any], names: tuple[str, ...], what: str
) -> list[Difference]:
    """One relation the API serves against the chain's (None: not on chain)."""
    label = f"{what} {key}"
    if mine is None:
        return [Difference(label, "listed", "absent")]
    theirs = _api_row(item, names)
    if theirs == mine:
        differences = []
    else:
        differences = [
            Difference(label, got, expected, field=name)
            for name, got, expected in zip(names, theirs, mine, strict=True)
            if got != expected
        ]
    known = _KNOWN[names]
    differences += [Difference(label, item[name], UNREAD, field=name) for name in item if name not in known]
    if "id" in item and item["id"] != key:
        differences.append(Difference(label, item["id"], key, field="id"))
    return differences


def _check_all(scope: Scope, api: Api, rows: dict[str, Row]) -> list[Difference]:
    """``/relations`` up to the block, in slices read at once, against every relation."""
    advance = scope.progress("relations (API)", len(rows))

    def read(bounds: tuple[int, int]) -> tuple[list[Difference], set[str]]:
        differences: list[Difference] = []
        seen: set[str] = set()

        # Each page compared as it comes (200,000 relations are not held as the API's dicts).
        for page in api.pages("/relations", from_block=bounds[0], to_block=bounds[1]):
            for item in page["items"]:
                key = event_id(item)
                if key in seen:
                    differences.append(Difference(f"relation {key}", "listed twice", "once"))
                    continue
                seen.add(key)
                differences.extend(_compare(key, rows.get(key), item, FIELDS, "relation"))
                if len(seen) % PAGE == 0:
                    advance(PAGE)
        advance(len(seen) % PAGE)
        return differences, seen

    answers = parallel(read, _slices(rows, scope.block), SLICES)
    differences = [d for found, _ in answers for d in found]
    seen = set().union(*(keys for _, keys in answers))
    differences += [Difference(f"relation {key}", "missing", "present") for key in rows if key not in seen]
    return differences


def _member_rows(rows: dict[str, Row], member: str) -> dict[str, Row]:
    """`member`'s relations as its own page shows them: the shared fields, then the direction
    and the points the relation gave it."""
    mine: dict[str, Row] = {}
    for key, row in rows.items():
        paid = row[4] == member
        if paid or row[5] == member:
            mine[key] = (*row[:13], "paid" if paid else "received", row[15] if paid else row[16])
    return mine


def _check_members(api: Api, rows: dict[str, Row], sample: frozenset[str]) -> tuple[int, list[Difference]]:
    """Each sampled member's ``/members/{address}/relations`` (all pages)."""
    by_member: dict[str, list[str]] = {member: [] for member in sample}
    for key, row in rows.items():
        for party in {row[4], row[5]}:
            if party in by_member:
                by_member[party].append(key)

    members = sorted(sample)
    pages = parallel(lambda member: api.items(f"/members/{member}/relations"), members, tolerant=True)
    checked, differences = 0, []
    for member, served in zip(members, pages, strict=True):
        what = f"relation of member {member}"
        mine = _member_rows({k: rows[k] for k in by_member[member]}, member)
        if isinstance(served, AuditError):
            if mine:
                differences.append(
                    Difference(f"relations of member {member}", str(served), f"{len(mine)} relations")
                )
            continue
        seen = set()
        for item in served:
            key = event_id(item)
            seen.add(key)
            checked += 1
            differences += _compare(key, mine.get(key), item, MEMBER_FIELDS, what)
        differences += [Difference(f"{what} {key}", "missing", "present") for key in mine if key not in seen]
    return checked, differences
