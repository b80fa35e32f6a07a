"""Invitations (``/invitations``), attesters (``/attesters``) and attestations
(``/attestations``) against the membership contract's events (`roster`) and its views at the
block: ``invitationOf`` for every (invitee, sponsor) ever invited, ``isAttester`` for every
attester, ``attestationOf`` for every attested account. Explorer links are not compared
(``skip=LINKS``: the API builds them from its own configuration)."""

from __future__ import annotations

from typing import Any

from cmir.audit.compare import LINKS, by_key, compare, normalise, position
from cmir.audit.resources.records import ZERO, kind_name, tx_ref
from cmir.audit.resources.roster import Invitation, Member, Roster
from cmir.audit.scope import ResourceResult, Scope


def invitation_record(invitation: Invitation, now: int, members: dict[str, Member]) -> dict[str, Any]:
    """An ``InvitationItem`` as the chain says it at `now`."""
    closed = invitation.closed_by
    return {
        **tx_ref(invitation.event),
        "invitee": invitation.invitee,
        "sponsor": invitation.sponsor,
        "kind": kind_name(int(invitation.event.args["kind"])),
        "status": invitation.status(now, members),
        "expires_at": invitation.expires_at,
        "closed_at": None if closed is None else closed.timestamp,
        "closed_tx": None if closed is None else closed.tx_hash,
        "revoked_by": invitation.revoked_by,
    }


def _label(invitee: Any, sponsor: Any, at: tuple[int, int]) -> str:
    return f"{invitee} from {sponsor} (block {at[0]}, log {at[1]})"


def invitations(scope: Scope, roster: Roster) -> ResourceResult:
    """Every invitation the sampled members sent or received: the replay against
    ``invitationOf`` (a problem), then against the API's list (all pages)."""
    result = ResourceResult("invitations")
    now = scope.ledger.block_time
    chosen = [i for i in roster.invitations if scope.checked(i.invitee) or scope.checked(i.sponsor)]
    pairs = list(dict.fromkeys((i.invitee, i.sponsor) for i in chosen))
    views = scope.views([("membership", "invitationOf", pair) for pair in pairs], "invitations: invitationOf")
    for (invitee, sponsor), view in zip(pairs, views, strict=True):
        held = roster.open.get((invitee, sponsor))
        expected = (held.sponsor, int(held.event.args["kind"]), held.expires_at) if held else (ZERO, 0, 0)
        got = (view["sponsor"], int(view["kind"]), int(view["expiresAt"]))
        if got != expected:
            result.problems.append(
                f"invitationOf({invitee}, {sponsor}) = {got}, the events replayed give {expected}"
            )
    result.checked = len(chosen)
    if scope.api is None:
        return result
    served = by_key(scope.api.items("/invitations"), position, "invitation at", result.differences)
    mine = {(i.event.block, i.event.log_index): i for i in roster.invitations}
    chosen_at = {(i.event.block, i.event.log_index) for i in chosen}
    chain = {
        _label(i.invitee, i.sponsor, at): invitation_record(i, now, roster.members)
        for at, i in mine.items()
        if at in chosen_at
    }
    api: dict[str, Any] = {}
    for at, item in served.items():
        known = mine.get(at)
        if known is None:
            api[_label(normalise(item.get("invitee")), normalise(item.get("sponsor")), at)] = item
        elif at in chosen_at:
            api[_label(known.invitee, known.sponsor, at)] = item
    result.differences += compare("invitation", chain, api, skip=LINKS)
    return result


def attesters(scope: Scope, roster: Roster) -> ResourceResult:
    """Every attester: allowed (``isAttester``), when governance last changed it, how many
    accounts it attested."""
    result = ResourceResult("attesters", checked=len(roster.attesters))
    names = list(roster.attesters)
    for who, allowed in zip(
        names, scope.views([("membership", "isAttester", (a,)) for a in names]), strict=True
    ):
        if bool(allowed) != roster.attesters[who].allowed:
            result.problems.append(
                f"isAttester({who}) = {allowed}, the events replayed give {roster.attesters[who].allowed}"
            )
    if scope.api is None:
        return result
    chain = {
        who: {
            "address": who,
            "allowed": a.allowed,
            "changed_at": a.changed.timestamp,
            "changed_block": a.changed.block,
            "attestations": a.attestations,
        }
        for who, a in roster.attesters.items()
    }
    served = by_key(
        scope.api.items("/attesters"), lambda i: normalise(i["address"]), "attester", result.differences
    )
    result.differences += compare("attester", chain, served, skip=LINKS)
    return result


def attestations(scope: Scope, roster: Roster) -> ResourceResult:
    """Every attestation: whether it is its account's latest (``attestationOf``), whether it
    counts (its attester still is one) and whether the account has joined."""
    result = ResourceResult("attestations", checked=len(roster.attestations))
    latest = roster.latest_attester()
    accounts = list(latest)
    views = scope.views([("membership", "attestationOf", (a,)) for a in accounts])
    for account, attester in zip(accounts, views, strict=True):
        if attester != latest[account]:
            result.problems.append(
                f"attestationOf({account}) = {attester}, the events replayed give {latest[account]}"
            )
    if scope.api is None:
        return result
    last = {str(e.args["account"]): (e.block, e.log_index) for e in roster.attestations}
    mine: dict[tuple[int, int], dict[str, Any]] = {}
    for event in roster.attestations:
        account, attester = event.args["account"], event.args["attester"]
        is_latest = last[account] == (event.block, event.log_index)
        allowed = attester in roster.attesters and roster.attesters[attester].allowed
        mine[(event.block, event.log_index)] = {
            **tx_ref(event),
            "account": account,
            "attester": attester,
            "latest": is_latest,
            "counts": is_latest and allowed,
            "member": account in roster.members,
        }
    served = by_key(scope.api.items("/attestations"), position, "attestation at", result.differences)

    def label(at: tuple[int, int], record: dict[str, Any]) -> str:
        account, attester = normalise(record.get("account")), normalise(record.get("attester"))
        return f"{account} by {attester} (block {at[0]}, log {at[1]})"

    chain = {label(at, record): record for at, record in mine.items()}
    api = {label(at, mine.get(at, item)): item for at, item in served.items()}
    result.differences += compare("attestation", chain, api, skip=LINKS)
    return result


def check(scope: Scope, roster: Roster) -> list[ResourceResult]:
    """Invitations, attesters and attestations."""
    return [invitations(scope, roster), attesters(scope, roster), attestations(scope, roster)]
