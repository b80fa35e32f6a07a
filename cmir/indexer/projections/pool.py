"""Handlers of the redistribution pool's events: inflows, the accumulator, points maturity,
claims, outflows and the pool's settings.

The pool's epoch roll-over has no event: the first booking (inflow or exclusion) of a later
epoch than the last booking's matures the pending points total, at the accumulator then; a
member's pending points of an ended epoch mature when the contract next settles it, from the
accumulator at that epoch's end (`Context.matured_at`). The mirror replays both."""

from __future__ import annotations

from typing import Any

from cmir.indexer.events import BASE_COLUMNS, Event
from cmir.indexer.projections.context import Context, address_or_none
from cmir.store import Relation, rewards
from cmir.store.columns import event_fields
from cmir.store.epochs import Clock

#: Columns of an inflow row, in the order `_book` gives them.
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
    "matured_points_after",
    "pending_points_after",
    "members_to_ess",
    "epoch",
    "memo",
)
#: Columns of a relation row: the event's, then the model's own in its order, the order in which
#: `relation_paid` gives them.
RELATION_COLUMNS = (*BASE_COLUMNS, *event_fields(Relation))

INFLOW_KINDS = {
    "RelationPaid": "relation",
    "Contributed": "contribution",
    "MembershipFeeReceived": "membership_fee",
    "SurplusAccounted": "surplus",
}


def _advance(ctx: Context, event: Event, current: int) -> None:
    """Roll the point totals over to epoch `current` if the last booking was of an earlier one
    (Redistribution._advance): its pending points mature at the accumulator now, which then is
    the base of the new epoch's reward cap. The chain records no event for it."""
    s = ctx.state
    if current == s["points_epoch"]:
        return
    if current < s["points_epoch"]:
        ctx.mismatch(event, f"epoch {current} is before the last booking's {s['points_epoch']}")
        return
    s["matured_points"] += s["pending_points"]
    s["pending_points"] = 0
    s["points_epoch"] = current
    s["epoch_start_reward_per_point"] = s["reward_per_point"]


def _split(event: Event) -> tuple[int, int, int, int]:
    """The inflow's amount and split as the event gives them."""
    args = event.args
    parts = args["split"]
    return int(args["amount"]), int(parts["toMembers"]), int(parts["toEss"]), int(parts["toCollective"])


def _distribute(ctx: Context, event: Event) -> int:
    """Replay Redistribution._distribute for the event's inflow (after `_advance`): split by the
    shares, spread the members' part over the matured points within the epoch's cap, the rest
    to ESS; check the event's split and accumulator. Returns what of the event's ``toEss`` was
    the members' share: ``toEss - ceil(amount * essBps / 10,000)``."""
    amount, to_members, to_ess, to_collective = _split(event)
    s = ctx.state
    after = int(event.args["rewardPerPoint"])
    if s["members_bps"] is None or s["epoch_reward_cap_bps"] is None:
        ctx.mismatch(event, "an inflow before the pool's settings")
        s["reward_per_point"] = after
        return 0
    members, ess, collective = rewards.split(amount, s["members_bps"], s["ess_bps"], s["collective_bps"])
    before = s["reward_per_point"]
    ceiling = s["epoch_start_reward_per_point"] + rewards.cap_increase(s["epoch_reward_cap_bps"])
    increase, distributed = rewards.distribute(members, s["matured_points"], max(ceiling - before, 0))
    expected = (distributed, ess + members - distributed, collective)
    if expected != (to_members, to_ess, to_collective):
        ctx.mismatch(event, f"split {expected} != event {(to_members, to_ess, to_collective)}")
    if before + increase != after:
        ctx.mismatch(event, f"accumulator {before} + {increase} != event {after}")
    s["reward_per_point"] = after
    return to_ess - ess


def _book(
    ctx: Context, event: Event, source: str, current: int, before: int, members_to_ess: int, memo: str | None
) -> None:
    """Store an inflow of epoch `current` (Redistribution._book): the totals, its row and a
    bucket snapshot. `before` is the accumulator before it."""
    amount, to_members, to_ess, to_collective = _split(event)
    s = ctx.state
    s["total_received"] += amount
    s["members_received"] += to_members
    s["ess_received"] += to_ess
    s["collective_received"] += to_collective
    s["total_points"] = s["matured_points"] + s["pending_points"]
    s["inflow_count"] += 1
    after = s["reward_per_point"]
    ctx.epoch_rates[current] = after
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
            s["matured_points"],
            s["pending_points"],
            members_to_ess,
            current,
            memo,
        ),
    )
    ctx.snapshot(event)


def _receive(ctx: Context, event: Event, source: str, memo: str | None) -> None:
    """An inflow that awards no points (Redistribution._receive)."""
    current = ctx.epoch_at(event.block_time)
    _advance(ctx, event, current)
    before = ctx.state["reward_per_point"]
    members_to_ess = _distribute(ctx, event)
    _book(ctx, event, source, current, before, members_to_ess, memo)


def _award(ctx: Context, address: str, points: int, current: int) -> None:
    """Add `points` pending in `current` to a member (Redistribution._award): settled first only
    if its pending points are of an ended epoch (matured then at that epoch's end)."""
    account = ctx.member(address)
    if account["pending_points"] and account["pending_epoch"] != current:
        rewards.settle(account, ctx.state["reward_per_point"], current, current, ctx.matured_at)
    if not account["pending_points"]:
        assert ctx.clock is not None  # the relation's epoch came from it
        account["pending_epoch"] = current
        account["matures_at"] = ctx.clock.epoch_end(current)
    account["pending_points"] += points


def relation_paid(ctx: Context, event: Event) -> None:
    """A relation: roll over, award each party's points (pending until the relation's epoch
    ends), then spread the inflow over the matured points."""
    args = event.args
    awarded = args["points"]
    payer, counterparty = args["payer"], args["counterparty"]
    payer_sponsor = address_or_none(awarded["payerSponsor"])
    counterparty_sponsor = address_or_none(awarded["counterpartySponsor"])
    payer_points = int(awarded["payerPoints"])
    counterparty_points = int(awarded["counterpartyPoints"])
    payer_sponsor_points = int(awarded["payerSponsorPoints"])
    counterparty_sponsor_points = int(awarded["counterpartySponsorPoints"])
    current = int(args["epoch"])
    if current != ctx.epoch_at(event.block_time):
        ctx.mismatch(event, f"epoch {current} != the clock's {ctx.epoch_at(event.block_time)}")
    _advance(ctx, event, current)
    before = ctx.state["reward_per_point"]
    added = 0
    for address, points in (
        (payer, payer_points),
        (counterparty, counterparty_points),
        (payer_sponsor, payer_sponsor_points),
        (counterparty_sponsor, counterparty_sponsor_points),
    ):
        if address is None or points == 0:
            continue  # the contract skips the award too
        _award(ctx, address, points, current)
        added += points
    ctx.state["pending_points"] += added
    members_to_ess = _distribute(ctx, event)
    amount, to_members, to_ess, to_collective = _split(event)
    payer_row = ctx.member(payer)
    payer_row["relations_paid"] += 1
    payer_row["amount_paid"] += amount
    ctx.member(counterparty)["relations_received"] += 1
    ctx.state["relation_count"] += 1
    ctx.uow.add_values(
        "relations",
        RELATION_COLUMNS,
        (
            *event.base_values(),
            payer,
            counterparty,
            args["relationRef"],
            amount,
            to_members,
            to_ess,
            to_collective,
            payer_sponsor,
            counterparty_sponsor,
            payer_points,
            counterparty_points,
            payer_sponsor_points,
            counterparty_sponsor_points,
            int(args["rewardPerPoint"]),
            current,
            members_to_ess,
        ),
    )
    _book(ctx, event, payer, current, before, members_to_ess, None)


def contributed(ctx: Context, event: Event) -> None:
    """Anyone's contribution, with a memo."""
    _receive(ctx, event, event.args["contributor"], event.args["memo"])


def membership_fee_received(ctx: Context, event: Event) -> None:
    """A new member's fee."""
    _receive(ctx, event, event.args["member"], None)


def surplus_accounted(ctx: Context, event: Event) -> None:
    """Tokens sent without a call, booked to ESS whole (no members' share: 0 to ESS from it)."""
    current = ctx.epoch_at(event.block_time)
    _advance(ctx, event, current)
    before = ctx.state["reward_per_point"]
    amount, to_members, to_ess, to_collective = _split(event)
    if (to_members, to_ess, to_collective) != (0, amount, 0):
        ctx.mismatch(event, f"surplus split {(to_members, to_ess, to_collective)} is not all to ESS")
    if int(event.args["rewardPerPoint"]) != before:
        ctx.mismatch(event, f"surplus moved the accumulator to {event.args['rewardPerPoint']}")
    _book(ctx, event, event.args["caller"], current, before, 0, None)


def rewards_claimed(ctx: Context, event: Event) -> None:
    """A claim: settle (no roll-over: the last booking's epoch stays), pay out everything accrued."""
    args = event.args
    amount, rate = int(args["amount"]), int(args["rewardPerPoint"])
    if rate != ctx.state["reward_per_point"]:
        ctx.mismatch(event, f"claim at accumulator {rate} != {ctx.state['reward_per_point']}")
    account = ctx.member(args["member"])
    current = ctx.epoch_at(event.block_time)
    rewards.settle(account, rate, current, ctx.state["points_epoch"], ctx.matured_at)
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
    """An exclusion: roll over, settle, remove the member's matured and pending points from the
    totals, keep what it earned."""
    args = event.args
    matured, pending = int(args["maturedRemoved"]), int(args["pendingRemoved"])
    accrued, rate = int(args["accrued"]), int(args["rewardPerPoint"])
    current = ctx.epoch_at(event.block_time)
    _advance(ctx, event, current)
    s = ctx.state
    account = ctx.member(args["member"])
    rewards.settle(account, s["reward_per_point"], current, current, ctx.matured_at)
    held = (account["matured_points"], account["pending_points"], account["accrued"])
    if held != (matured, pending, accrued) or rate != s["reward_per_point"]:
        ctx.mismatch(event, f"matured/pending/accrued {held} != {(matured, pending, accrued)}")
    account.update(matured_points=0, pending_points=0, pending_epoch=None, matures_at=None)
    s["matured_points"] -= matured
    s["pending_points"] -= pending
    s["total_points"] = s["matured_points"] + s["pending_points"]
    ctx.uow.add(
        "reward_freezes",
        {
            **event.base(),
            "member": args["member"],
            "matured_removed": matured,
            "pending_removed": pending,
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
    """The steward spent from the collective fund, within its budget: the first spending after
    the last period ended starts a new one (Redistribution.spendCollective)."""
    args = event.args
    amount = int(args["amount"])
    s = ctx.state
    s["collective_spent"] += amount
    start, period = int(s["budget_period_start"] or 0), int(s["collective_budget_period"] or 0)
    if event.block_time >= start + period:
        s["budget_period_start"], s["budget_spent"] = event.block_time, 0
    s["budget_spent"] += amount
    if s["collective_budget"] is not None and s["budget_spent"] > int(s["collective_budget"]):
        ctx.mismatch(event, f"spent {s['budget_spent']} of a budget of {s['collective_budget']}")
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


def collective_budget_changed(ctx: Context, event: Event) -> None:
    """The steward's new budget per period; what the running period spent still counts."""
    args = event.args
    s = ctx.state
    previous = None
    if s["collective_budget"] is not None:
        previous = {"amount": s["collective_budget"], "period": s["collective_budget_period"]}
    s.update(collective_budget=int(args["amount"]), collective_budget_period=int(args["period"]))
    ctx.parameter(event, "collective_budget", previous, {"amount": args["amount"], "period": args["period"]})


def epoch_length_changed(ctx: Context, event: Event) -> None:
    """A new epoch clock (at deployment, or the length from the end of the running epoch)."""
    args = event.args
    clock = Clock(int(args["origin"]), int(args["newLength"]), int(args["originEpoch"]))
    previous = ctx.clock.as_json() if ctx.clock is not None else None
    if ctx.clock is not None and ctx.clock.length != int(args["previousLength"]):
        ctx.mismatch(event, f"previous length {args['previousLength']} != {ctx.clock.length}")
    ctx.clock = clock
    ctx.state.update(
        epoch_length=clock.length, epoch_origin=clock.origin, epoch_origin_epoch=clock.origin_epoch
    )
    ctx.parameter(event, "epoch_length", previous, clock.as_json())


def epoch_reward_cap_changed(ctx: Context, event: Event) -> None:
    """A new most a matured point may earn per epoch (basis points of a token unit)."""
    ctx.state["epoch_reward_cap_bps"] = int(event.args["newCapBps"])
    ctx.parameter(event, "epoch_reward_cap_bps", event.args["previousCapBps"], event.args["newCapBps"])


def parties_min_share_changed(ctx: Context, event: Event) -> None:
    """A new least share of a relation's points its payer and counterparty keep."""
    ctx.state["parties_min_share_bps"] = int(event.args["newBps"])
    ctx.parameter(event, "parties_min_share_bps", event.args["previousBps"], event.args["newBps"])


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
    "CollectiveBudgetChanged": collective_budget_changed,
    "EpochLengthChanged": epoch_length_changed,
    "EpochRewardCapChanged": epoch_reward_cap_changed,
    "PartiesMinShareChanged": parties_min_share_changed,
}
