"""Handlers of the redistribution pool's events: inflows, the accumulator, claims, outflows."""

from __future__ import annotations

from typing import Any

from indexer import rewards
from indexer.events import BASE_COLUMNS, Event
from indexer.projections.context import Context, address_or_none

#: Columns of an inflow row, in the order `_receive` gives them.
INFLOW_COLUMNS = (
    *BASE_COLUMNS,
    "kind",
    "source",
    "amount",
    "to_members",
    "to_ess",
    "to_collective",
    "reward_per_point",
    "reward_per_point_increase",
    "undistributed_after",
    "total_points_after",
    "memo",
)
#: Columns of a relation row, in the order `relation_paid` gives them.
RELATION_COLUMNS = (
    *BASE_COLUMNS,
    "payer",
    "counterparty",
    "relation_ref",
    "amount",
    "to_members",
    "to_ess",
    "to_collective",
    "payer_sponsor",
    "counterparty_sponsor",
    "payer_points",
    "counterparty_points",
    "payer_sponsor_points",
    "counterparty_sponsor_points",
    "reward_per_point",
)

INFLOW_KINDS = {
    "RelationPaid": "relation",
    "Contributed": "contribution",
    "MembershipFeeReceived": "membership_fee",
    "SurplusAccounted": "surplus",
}


def _receive(ctx: Context, event: Event, source: str, added_points: int, memo: str | None) -> None:
    """Book an inflow as Redistribution._receive does, checking the event's accumulator."""
    args = event.args
    amount = int(args["amount"])
    parts = args["split"]
    to_members, to_ess, to_collective = (
        int(parts["toMembers"]),
        int(parts["toEss"]),
        int(parts["toCollective"]),
    )
    s = ctx.state
    if s["members_bps"] is not None:
        expected = rewards.split(amount, s["members_bps"], s["ess_bps"], s["collective_bps"])
        if expected != (to_members, to_ess, to_collective):
            ctx.mismatch(event, f"split {expected} != event {parts}")
    before = s["reward_per_point"]
    s["total_received"] += amount
    s["members_received"] += to_members
    s["ess_received"] += to_ess
    s["collective_received"] += to_collective
    s["total_points"] += added_points
    increase, carry = rewards.distribute(to_members + s["undistributed_rewards"], s["total_points"])
    after = int(args["rewardPerPoint"])
    if before + increase != after:
        ctx.mismatch(event, f"accumulator {before} + {increase} != event {after}")
    s["reward_per_point"] = after
    s["undistributed_rewards"] = carry
    s["inflow_count"] += 1
    ctx.uow.add_values(
        "inflows",
        INFLOW_COLUMNS,
        (
            *event.base_values(),
            INFLOW_KINDS[event.name],
            source,
            amount,
            to_members,
            to_ess,
            to_collective,
            after,
            after - before,
            carry,
            s["total_points"],
            memo,
        ),
    )
    ctx.snapshot(event)


def relation_paid(ctx: Context, event: Event) -> None:
    """A relation: settle and award each party's points at the accumulator before the inflow."""
    args = event.args
    awarded = args["points"]
    payer, counterparty = args["payer"], args["counterparty"]
    payer_sponsor = address_or_none(awarded["payerSponsor"])
    counterparty_sponsor = address_or_none(awarded["counterpartySponsor"])
    payer_points = int(awarded["payerPoints"])
    counterparty_points = int(awarded["counterpartyPoints"])
    payer_sponsor_points = int(awarded["payerSponsorPoints"])
    counterparty_sponsor_points = int(awarded["counterpartySponsorPoints"])
    rate = ctx.state["reward_per_point"]
    added = 0
    member, settle = ctx.member, rewards.settle
    for address, points in (
        (payer, payer_points),
        (counterparty, counterparty_points),
        (payer_sponsor, payer_sponsor_points),
        (counterparty_sponsor, counterparty_sponsor_points),
    ):
        if address is None or points == 0:
            continue  # the contract skips the settlement too
        account = member(address)
        settle(account, rate)
        account["points"] += points
        added += points
    amount = int(args["amount"])
    payer_row = member(payer)
    payer_row["relations_paid"] += 1
    payer_row["amount_paid"] += amount
    member(counterparty)["relations_received"] += 1
    ctx.state["relation_count"] += 1
    parts = args["split"]
    ctx.uow.add_values(
        "relations",
        RELATION_COLUMNS,
        (
            *event.base_values(),
            payer,
            counterparty,
            args["relationRef"],
            amount,
            int(parts["toMembers"]),
            int(parts["toEss"]),
            int(parts["toCollective"]),
            payer_sponsor,
            counterparty_sponsor,
            payer_points,
            counterparty_points,
            payer_sponsor_points,
            counterparty_sponsor_points,
            int(args["rewardPerPoint"]),
        ),
    )
    _receive(ctx, event, payer, added, None)


def contributed(ctx: Context, event: Event) -> None:
    """Anyone's contribution, with a memo."""
    _receive(ctx, event, event.args["contributor"], 0, event.args["memo"])


def membership_fee_received(ctx: Context, event: Event) -> None:
    """A new member's fee."""
    _receive(ctx, event, event.args["member"], 0, None)


def surplus_accounted(ctx: Context, event: Event) -> None:
    """Tokens sent without a call, accounted as an inflow."""
    _receive(ctx, event, event.args["caller"], 0, None)


def rewards_claimed(ctx: Context, event: Event) -> None:
    """A claim: settle, pay out everything accrued."""
    args = event.args
    amount, rate = int(args["amount"]), int(args["rewardPerPoint"])
    account = ctx.member(args["member"])
    rewards.settle(account, rate)
    if account["accrued"] != amount:
        ctx.mismatch(event, f"claimable {account['accrued']} != claimed {amount}")
    account["accrued"] = 0
    account["claimed"] += amount
    ctx.state["rewards_claimed"] += amount
    ctx.uow.add(
        "claims", {**event.base(), "member": args["member"], "amount": amount, "reward_per_point": rate}
    )
    ctx.snapshot(event)


def member_rewards_frozen(ctx: Context, event: Event) -> None:
    """An exclusion: settle, remove the member's points from the total, keep what it earned."""
    args = event.args
    removed, accrued, rate = int(args["pointsRemoved"]), int(args["accrued"]), int(args["rewardPerPoint"])
    account = ctx.member(args["member"])
    rewards.settle(account, rate)
    if (account["points"], account["accrued"]) != (removed, accrued):
        ctx.mismatch(event, f"points/accrued {account['points']}/{account['accrued']} != {removed}/{accrued}")
    account["points"] = 0
    ctx.state["total_points"] -= removed
    ctx.uow.add(
        "reward_freezes",
        {
            **event.base(),
            "member": args["member"],
            "points_removed": removed,
            "accrued": accrued,
            "reward_per_point": rate,
        },
    )


def ess_project_funded(ctx: Context, event: Event) -> None:
    """ESS money paid to a project (always through governance)."""
    args = event.args
    amount, project_id = int(args["amount"]), int(args["projectId"])
    ctx.state["ess_disbursed"] += amount
    project = ctx.uow.projects.get(ctx.uow.connection, (ctx.chain_id, project_id))
    if project is not None:
        project["funded_total"] += amount
        project["funding_count"] += 1
    row: dict[str, Any] = {
        **event.base(),
        "project_id": project_id,
        "payout_wallet": args["payoutWallet"],
        "amount": amount,
        "proposal_id": None,
    }
    ctx.uow.add("ess_fundings", row)
    ctx.proposal_linked[event.tx_hash].append(row)
    ctx.snapshot(event)


def collective_spent(ctx: Context, event: Event) -> None:
    """The steward spent from the collective fund."""
    args = event.args
    amount = int(args["amount"])
    ctx.state["collective_spent"] += amount
    ctx.uow.add(
        "collective_spends",
        {
            **event.base(),
            "steward": args["steward"],
            "recipient": args["recipient"],
            "amount": amount,
            "memo": args["memo"],
        },
    )
    ctx.snapshot(event)


def shares_changed(ctx: Context, event: Event) -> None:
    """New shares of future inflows."""
    new = event.args["newShares"]
    ctx.state.update(
        members_bps=new["membersBps"], ess_bps=new["essBps"], collective_bps=new["collectiveBps"]
    )
    ctx.parameter(event, "shares", event.args["previousShares"], new)


def point_weights_changed(ctx: Context, event: Event) -> None:
    """New points weights of future relations."""
    new = event.args["newWeights"]
    ctx.state.update(
        payer_bps=new["payerBps"],
        counterparty_bps=new["counterpartyBps"],
        payer_sponsor_bps=new["payerSponsorBps"],
        counterparty_sponsor_bps=new["counterpartySponsorBps"],
    )
    ctx.parameter(event, "point_weights", event.args["previousWeights"], new)


def min_relation_fee_changed(ctx: Context, event: Event) -> None:
    """New minimum relation fee."""
    ctx.state["min_relation_fee"] = int(event.args["newFee"])
    ctx.parameter(event, "min_relation_fee", event.args["previousFee"], event.args["newFee"])


def steward_changed(ctx: Context, event: Event) -> None:
    """New steward of the collective fund."""
    ctx.state["steward"] = event.args["newSteward"]
    ctx.parameter(event, "steward", address_or_none(event.args["previousSteward"]), event.args["newSteward"])


HANDLERS = {
    "RelationPaid": relation_paid,
    "Contributed": contributed,
    "MembershipFeeReceived": membership_fee_received,
    "SurplusAccounted": surplus_accounted,
    "RewardsClaimed": rewards_claimed,
    "MemberRewardsFrozen": member_rewards_frozen,
    "EssProjectFunded": ess_project_funded,
    "CollectiveSpent": collective_spent,
    "SharesChanged": shares_changed,
    "PointWeightsChanged": point_weights_changed,
    "MinRelationFeeChanged": min_relation_fee_changed,
    "StewardChanged": steward_changed,
}
