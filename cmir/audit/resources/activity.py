"""What the pool's events say of each member: the relations it paid and received (with how
each was booked, from the ledger's flows), its claims and the freeze of its rewards."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from cmir.audit.chain import Event
from cmir.audit.ledger import Flow
from cmir.audit.resources.records import tx_ref
from cmir.audit.scope import Scope


@dataclass
class Activity:
    """Every relation, claim and freeze of the pool up to the block, by member."""

    relations: list[Event] = field(default_factory=list)  # RelationPaid, in chain order
    booked: dict[tuple[str, int], Flow] = field(default_factory=dict)  # the ledger's relation flows
    paid: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    received: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    amount_paid: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    claims: dict[str, list[Event]] = field(default_factory=lambda: defaultdict(list))
    freezes: dict[str, Event] = field(default_factory=dict)
    #: Indices in `relations` of each member's relations (members checked only).
    of_member: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))

    def pairs(self) -> dict[str, dict[str, tuple[int, int]]]:
        """Relations by payer, then counterparty: (count, amount) (the graph's relation edges)."""
        counts: dict[tuple[str, str], int] = defaultdict(int)
        amounts: dict[tuple[str, str], int] = defaultdict(int)
        for event in self.relations:
            a = event.args
            pair = (a["payer"], a["counterparty"])
            counts[pair] += 1
            amounts[pair] += a["amount"]
        pairs: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
        for (payer, counterparty), count in counts.items():
            pairs[payer][counterparty] = (count, amounts[payer, counterparty])
        return pairs

    def relation_item(self, index: int, member: str) -> dict[str, Any]:
        """Relation `index` seen from `member` (a ``RelationItem``)."""
        event = self.relations[index]
        a, split, points = event.args, event.args["split"], event.args["points"]
        paid = a["payer"] == member
        flow = self.booked.get((event.tx_hash, event.log_index))
        return {
            **tx_ref(event),
            "direction": "paid" if paid else "received",
            "payer": a["payer"],
            "counterparty": a["counterparty"],
            "relation_ref": "0x" + bytes(a["relationRef"]).hex(),
            "amount": int(a["amount"]),
            "to_members": int(split["toMembers"]),
            "to_ess": int(split["toEss"]),
            "to_collective": int(split["toCollective"]),
            # the members' share that went to ESS: the ledger's replay of the booking
            "members_to_ess": None if flow is None else flow.members_to_ess,
            "epoch": int(a["epoch"]),
            "points_earned": int(points["payerPoints" if paid else "counterpartyPoints"]),
        }


def read(scope: Scope) -> Activity:
    """The pool's relations, claims and freezes, by member (relation lists for the members
    checked only: `scope.sample`)."""
    activity = Activity()
    activity.relations = list(scope.of("pool", "RelationPaid"))
    activity.booked = {f.key: f for f in scope.ledger.flows if f.kind == "relation"}
    for index, event in enumerate(activity.relations):
        payer, counterparty = event.args["payer"], event.args["counterparty"]
        activity.paid[payer] += 1
        activity.received[counterparty] += 1
        activity.amount_paid[payer] += int(event.args["amount"])
        if scope.checked(payer):
            activity.of_member[payer].append(index)
        if counterparty != payer and scope.checked(counterparty):
            activity.of_member[counterparty].append(index)
    for event in scope.of("pool", "RewardsClaimed"):
        activity.claims[event.args["member"]].append(event)
    for event in scope.of("pool", "MemberRewardsFrozen"):
        activity.freezes[event.args["member"]] = event
    return activity
