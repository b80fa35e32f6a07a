"""Members (``/members`` and ``/members/{address}``), then the invitations, attesters and
attestations (`invitations`) and the member network (`network`), against the chain at the block.

A member's record is its events replayed (`roster`: MemberJoined, MemberExcluded, the
invitations it sent and the allowance they used) checked against ``memberOf`` and
``invitationsAvailable`` at the block (one eth_call each, batched; a disagreement is a
problem), its pool figures (`Ledger.members`: ``claimableOf``, ``pointsOf``, ``memberPoints``;
the claims), and its relations, claims and freeze from the pool's events (`activity`). Each
member the API lists and members' details (`_details_wanted`) are compared field by field, lists included
(`compare`; explorer links aside, ``skip=LINKS``: the API builds them from its configuration).
With ``--sample``, only the sampled members' views, records and details are read."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import astuple
from typing import Any

from cmir.audit.compare import LINKS, Difference, by_key, compare, normalise
from cmir.audit.replay import MemberFigures
from cmir.audit.resources import activity as pool_activity
from cmir.audit.resources import invitations, network
from cmir.audit.resources.activity import Activity
from cmir.audit.resources.invitations import invitation_record
from cmir.audit.resources.records import ZERO, kind_name, tx_ref
from cmir.audit.resources.roster import EVENTS, Member, Roster, Rules, replay
from cmir.audit.scope import ResourceResult, Scope, draw_sample

#: What the member detail shows of its invitees and pending invitations, relations and claims.
INVITEES_SHOWN = 50
RECENT = 10
#: Member details read at once (the API answers each in a few ms; the machine has 2 cores).
DETAIL_THREADS = 4
#: Up to this many members, a full audit reads every member's detail. Beyond, every row a detail
#: shows is already checked through the lists (members, invitations, relations, flows), and a
#: detail costs the API about 4 ms of CPU (40 s for 10,000 members): the details of every
#: excluded member (their freeze shows only there) and of `DETAILS_DRAWN` members drawn from the
#: block hash (the same draw for everyone auditing that block) check how the API composes them.
DETAILS_ALL = 2_000
DETAILS_DRAWN = 500
# The ledger reads the pool's views of every account its replay knows (any that earned a point or
# claimed): any other member never earned a point, and all its figures are 0.
_NOTHING = MemberFigures(claimable=0, points=0, matured=0, pending=0, pending_epoch=0, matures_at=0)


def member_figures(chain: MemberFigures, claimed: int) -> dict[str, Any]:
    """A member's pool figures as the API names them, from the pool's views and the claims."""
    return {
        "claimable": chain.claimable,
        "claimed": claimed,
        "earned": claimed + chain.claimable,
        "points": chain.points,
        "matured_points": chain.matured,
        "pending_points": chain.pending,
        "pending_epoch": chain.pending_epoch or None,
        "matures_at": chain.matures_at or None,
    }


def _ref(member: Member) -> dict[str, Any]:
    """A ``MemberRef``."""
    return {
        "address": member.address,
        "kind": kind_name(member.kind),
        "status": member.status,
        "joined_at": member.joined_at,
    }


class Members:
    """The members' records at the block: the replay, checked against the views."""

    def __init__(self, scope: Scope, roster: Roster, activity: Activity) -> None:
        self.scope, self.roster, self.activity = scope, roster, activity
        self.now = scope.ledger.block_time
        self.chosen = [m for m in roster.members.values() if scope.checked(m.address)]
        self.views: dict[str, tuple[dict[str, Any], tuple[int, int]]] = {}
        self.problems: list[str] = []
        self.invitees: dict[str, list[Member]] = defaultdict(list)
        for member in roster.members.values():
            if member.sponsor is not None:
                self.invitees[member.sponsor].append(member)
        self.pending: dict[str, list[int]] = defaultdict(list)  # open invitations by sponsor
        for index, invitation in enumerate(roster.invitations):
            if invitation.closed is None:
                self.pending[invitation.sponsor].append(index)

    def read_views(self) -> None:
        """``memberOf`` and ``invitationsAvailable`` of each member checked (batched), and each
        against the replay; ``activeMemberCount`` and ``rules`` against the replay."""
        scope, roster = self.scope, self.roster
        calls: list[tuple[str, str, tuple[Any, ...]]] = [
            ("membership", name, (m.address,))
            for m in self.chosen
            for name in ("memberOf", "invitationsAvailable")
        ]
        answers = scope.views(
            [*calls, ("membership", "activeMemberCount", ()), ("membership", "rules", ())],
            "members: memberOf",
        )
        for index, member in enumerate(self.chosen):
            record, available = answers[2 * index], answers[2 * index + 1]
            credits = (int(available[0]), int(available[1]))
            self.views[member.address] = (record, credits)
            replayed = member.view()
            wrong = {k: (record[k], v) for k, v in replayed.items() if record[k] != v}
            if wrong:
                self.problems.append(f"memberOf({member.address}) differs from its events replayed: {wrong}")
            expected = roster.available(member, self.now)
            if credits != expected:
                self.problems.append(
                    f"invitationsAvailable({member.address}) = {credits}, the events replayed give {expected}"
                )
        count, rules = answers[-2], answers[-1]
        if int(count) != roster.active:
            self.problems.append(f"activeMemberCount() = {count}, the events replayed give {roster.active}")
        if roster.rules is not None and Rules.of(rules) != roster.rules:
            self.problems.append(
                f"rules() = {astuple(Rules.of(rules))}, the last MembershipRulesChanged gives {roster.rules}"
            )

    def record(self, member: Member) -> dict[str, Any]:
        """A ``MemberItem`` as the chain says it at the block (the views, where read)."""
        who, activity, ledger = member.address, self.activity, self.scope.ledger
        view, (available, next_at) = self.views.get(
            who, (member.view(), self.roster.available(member, self.now))
        )
        active = int(view["excludedAt"]) == 0
        sponsor = view["sponsor"]
        votes_from = int(view["votesFrom"])
        return {
            "address": who,
            "kind": kind_name(int(view["kind"])),
            "status": "active" if active else "excluded",
            "sponsor": None if sponsor == ZERO else sponsor,
            "joined_at": int(view["joinedAt"]),
            "joined_block": member.joined.block,
            "by_governance": bool(member.joined.args["byGovernance"]),
            "excluded_at": None if active else int(view["excludedAt"]),
            **member_figures(ledger.members.get(who, _NOTHING), ledger.claimed.get(who, 0)),
            "relations_paid": activity.paid.get(who, 0),
            "relations_received": activity.received.get(who, 0),
            "invitations_sent": int(view["invitationsSent"]),
            "votes_from": votes_from,
            # getVotes: active and past its probation (Membership.getVotes, from memberOf)
            "can_vote": active and votes_from <= self.now,
            "invitations_available": available,
            "next_invitation_at": next_at or None,
            "amount_paid": activity.amount_paid.get(who, 0),
            "exclusion_reason": None if member.excluded is None else member.excluded.args["reason"],
            "fee_paid": int(member.joined.args["feePaid"]),
        }

    def detail(self, member: Member, record: dict[str, Any]) -> dict[str, Any]:
        """A ``MemberDetail``: the record, its sponsor, invitees, pending invitations, latest
        relations and claims, and the freeze of its rewards."""
        who, roster, activity = member.address, self.roster, self.activity
        sponsor = roster.members.get(record["sponsor"]) if record["sponsor"] else None
        invitees = sorted(self.invitees.get(who, []), key=lambda m: (m.joined.block, m.address))
        pending = [
            invitation_record(roster.invitations[i], self.now, roster.members)
            for i in reversed(self.pending.get(who, [])[-INVITEES_SHOWN:])
        ]
        relations = activity.of_member.get(who, [])[-RECENT:]
        claims = activity.claims.get(who, [])[-RECENT:]
        freeze = activity.freezes.get(who) if record["status"] == "excluded" else None
        return {
            **record,
            "sponsor_member": None if sponsor is None else _ref(sponsor),
            "invitees": [_ref(m) for m in invitees[:INVITEES_SHOWN]],
            "invitees_total": len(invitees),
            # The API reads them only for a member whose invitations_sent is not 0: a pending
            # invitation counts there until accepted or revoked.
            "pending_invitations": pending if record["invitations_sent"] else [],
            "recent_relations": [activity.relation_item(i, who) for i in reversed(relations)],
            "recent_claims": [{**tx_ref(e), "amount": int(e.args["amount"])} for e in reversed(claims)],
            "freeze": None
            if freeze is None
            else {
                **tx_ref(freeze),
                "matured_removed": int(freeze.args["maturedRemoved"]),
                "pending_removed": int(freeze.args["pendingRemoved"]),
                "accrued": int(freeze.args["accrued"]),
            },
        }


def members(scope: Scope, roster: Roster, activity: Activity) -> ResourceResult:
    """Every member checked: the replay against the views, then the API's list (all pages) and
    members' details (one request per member, several at once: `_details_wanted`)."""
    book = Members(scope, roster, activity)
    book.read_views()
    result = ResourceResult("members", checked=len(book.chosen), problems=roster.problems + book.problems)
    if scope.api is None:
        return result
    listed = by_key(
        scope.api.items("/members"), lambda i: normalise(i["address"]), "member", result.differences
    )
    chain = {m.address: book.record(m) for m in book.chosen}
    # Every address is checked both ways; the records of the sampled members only.
    result.differences += [
        Difference(f"member {who}", "listed", "absent") for who in listed if who not in roster.members
    ]
    served = {who: item for who, item in listed.items() if who in chain}
    result.differences += compare("member", chain, served, skip=LINKS)
    wanted = _details_wanted(scope, [m for m in book.chosen if m.address in listed])
    answers = scope.api.get_many(
        [f"/members/{m.address}" for m in wanted],
        DETAIL_THREADS,
        advance=scope.progress("members: details", len(wanted)),
    )
    details = {m.address: book.detail(m, chain[m.address]) for m in wanted}
    served_details = dict(zip(details, answers, strict=True))
    result.differences += compare("member detail", details, served_details, skip=LINKS)
    if len(wanted) < len(served):
        result.notes.append(
            f"{len(wanted)} of {len(served)} member details read (every excluded member's and "
            f"{DETAILS_DRAWN} drawn from the block hash); every member's rows are checked through the lists"
        )
    else:
        result.notes.append(f"{len(wanted)} member details read")
    return result


def _details_wanted(scope: Scope, members: list[Member]) -> list[Member]:
    """The members whose detail is read: all of them in a sample or up to `DETAILS_ALL`; else
    every excluded member and `DETAILS_DRAWN` drawn with the block hash as the seed."""
    if scope.sample is not None or len(members) <= DETAILS_ALL:
        return members
    drawn = draw_sample((m.address for m in members), DETAILS_DRAWN, int(scope.ledger.block_hash, 16))
    return [m for m in members if m.excluded is not None or m.address in drawn]


def check(scope: Scope) -> list[ResourceResult]:
    """Members, invitations, attesters, attestations and the network, at the block."""
    roster = replay(scope.of("membership", *EVENTS))
    activity = pool_activity.read(scope)
    return [
        members(scope, roster, activity),
        *invitations.check(scope, roster),
        network.check(scope, roster, activity),
    ]
