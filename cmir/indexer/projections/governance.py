"""Handlers of the Governor's and the timelock's events: proposals (their expiry, the payouts
they name, cancellations by the guardian), votes, settings, roles."""

from __future__ import annotations

from typing import Any

from eth_utils.crypto import keccak

from cmir.indexer.events import Event
from cmir.indexer.projections.context import Context, address_or_none

SUPPORT_COLUMNS = {0: "against_votes", 1: "for_votes", 2: "abstain_votes"}

#: Governed settings: event name -> (parameter, DAO state column or None).
SETTINGS = {
    "VotingDelaySet": ("voting_delay", "voting_delay"),
    "VotingPeriodSet": ("voting_period", "voting_period"),
    "ProposalThresholdSet": ("proposal_threshold", "proposal_threshold"),
    "QuorumNumeratorUpdated": ("quorum_numerator", "quorum_numerator"),
    "TimelockChange": ("timelock", "timelock"),
    "MinDelayChange": ("timelock_min_delay", "timelock_min_delay"),
    "QuorumFloorChanged": ("quorum_floor", "quorum_floor"),
}

#: Calls naming a project's wallet version: function -> (contract, amount and wallet arguments).
PAYOUT_FUNCTIONS: dict[str, tuple[str, str | None, str | None]] = {
    "fundEssProject": ("pool", "amount", "payoutWallet"),
    "activateProject": ("registry", None, None),
}


def _proposal(ctx: Context, event: Event) -> dict[str, Any] | None:
    return ctx.uow.proposals.get(ctx.uow.connection, (ctx.chain_id, int(event.args["proposalId"])))


def _change(ctx: Context, event: Event, state: str, eta: int | None = None) -> None:
    ctx.uow.add(
        "proposal_changes",
        {**event.base(), "proposal_id": int(event.args["proposalId"]), "state": state, "eta": eta},
    )


def _payout(ctx: Context, event: Event, action: dict[str, Any]) -> None:
    """Record an action that names a project's payout wallet version (a funding, an activation)."""
    names = PAYOUT_FUNCTIONS.get(str(action.get("function")))
    if not action.get("decoded") or names is None or action.get("contract") != names[0]:
        return
    _, amount, wallet = names
    call = action["args"]
    ctx.uow.add(
        "proposal_payouts",
        {
            **event.base(),
            "action_index": action["index"],
            "proposal_id": int(event.args["proposalId"]),
            "project_id": int(call["projectId"]),
            "function": action["function"],
            "payout_wallet": call[wallet] if wallet else None,
            "wallet_version": int(call["walletVersion"]),
            "amount": int(call[amount]) if amount else None,
        },
    )


def _expiry(proposal: dict[str, Any]) -> int | None:
    """proposalExpiresAt: the ETA once queued, else the deadline, plus the grace at the snapshot."""
    grace = proposal["approval_grace"]
    if grace is None:
        return None
    return int(proposal["eta"] or proposal["vote_end"]) + int(grace)


def proposal_created(ctx: Context, event: Event) -> None:
    """A proposal: its calls decoded where they target our contracts, the payouts they name, and
    when its approval would expire (the grace period now; a change before its snapshot applies)."""
    args = event.args
    targets, calldatas = list(args["targets"]), list(args["calldatas"])
    actions = []
    for index, (target, calldata, value) in enumerate(zip(targets, calldatas, args["values"], strict=True)):
        decoded = ctx.registry.decode_call(target, calldata)
        action = {"index": index, "target": target, "value": value, **decoded}
        actions.append(action)
        _payout(ctx, event, action)
    grace = ctx.state["approval_grace_period"]
    ctx.uow.proposals.create(
        {
            "chain_id": ctx.chain_id,
            "proposal_id": int(args["proposalId"]),
            "proposer": args["proposer"],
            "targets": targets,
            "values": list(args["values"]),
            "signatures": list(args["signatures"]),
            "calldatas": calldatas,
            "actions": actions,
            "description": args["description"],
            "description_hash": "0x" + keccak(text=args["description"]).hex(),
            "vote_start": int(args["voteStart"]),
            "vote_end": int(args["voteEnd"]),
            "status": "created",
            "eta": None,
            "timelock_operation": None,
            "created_block": event.block_number,
            "created_time": event.block_time,
            "created_tx": event.tx_hash,
            "queued_block": None,
            "queued_time": None,
            "executed_block": None,
            "executed_time": None,
            "executed_tx": None,
            "canceled_block": None,
            "canceled_time": None,
            "canceled_tx": None,
            "canceled_by_guardian": None,
            "cancel_reason": None,
            "approval_grace": grace,
            "expires_at": None if grace is None else int(args["voteEnd"]) + int(grace),
            "for_votes": 0,
            "against_votes": 0,
            "abstain_votes": 0,
            "voter_count": 0,
        }
    )
    _change(ctx, event, "created")


def vote_cast(ctx: Context, event: Event) -> None:
    """A vote, with or without params."""
    args = event.args
    support, weight = int(args["support"]), int(args["weight"])
    proposal = _proposal(ctx, event)
    if proposal is not None and support in SUPPORT_COLUMNS:
        proposal[SUPPORT_COLUMNS[support]] += weight
        proposal["voter_count"] += 1
    ctx.uow.add(
        "votes",
        {
            **event.base(),
            "proposal_id": int(args["proposalId"]),
            "voter": args["voter"],
            "support": support,
            "weight": weight,
            "reason": args["reason"],
            "params": args.get("params"),
        },
    )


def proposal_queued(ctx: Context, event: Event) -> None:
    """Queued in the timelock (whose CallScheduled events came first in the transaction)."""
    eta = int(event.args["etaSeconds"])
    proposal = _proposal(ctx, event)
    if proposal is not None:
        operations = ctx.scheduled.get(event.tx_hash)
        proposal.update(
            status="queued",
            eta=eta,
            timelock_operation=operations[-1] if operations else None,
            queued_block=event.block_number,
            queued_time=event.block_time,
        )
        proposal["expires_at"] = _expiry(proposal)
    _change(ctx, event, "queued", eta)


def _executed(ctx: Context, event: Event, proposal: dict[str, Any]) -> None:
    if proposal["status"] != "executed":
        proposal.update(
            status="executed",
            executed_block=event.block_number,
            executed_time=event.block_time,
            executed_tx=event.tx_hash,
        )
    ctx.tx_proposal[event.tx_hash] = int(proposal["proposal_id"])


def proposal_executed(ctx: Context, event: Event) -> None:
    """Executed through the Governor."""
    proposal = _proposal(ctx, event)
    if proposal is not None:
        _executed(ctx, event, proposal)
    _change(ctx, event, "executed")


def proposal_canceled(ctx: Context, event: Event) -> None:
    """Canceled by its proposer or by the guardian (whose own event came first)."""
    proposal = _proposal(ctx, event)
    if proposal is not None:
        proposal.update(
            status="canceled",
            canceled_block=event.block_number,
            canceled_time=event.block_time,
            canceled_tx=event.tx_hash,
        )
    _change(ctx, event, "canceled")


def canceled_by_guardian(ctx: Context, event: Event) -> None:
    """The guardian cancels a proposal, giving its reason (OpenZeppelin's ProposalCanceled follows)."""
    proposal = _proposal(ctx, event)
    if proposal is not None:
        proposal.update(canceled_by_guardian=event.args["guardian"], cancel_reason=event.args["reason"])


def guardian_changed(ctx: Context, event: Event) -> None:
    """Governance named a new guardian (none: the zero address)."""
    new = address_or_none(event.args["newGuardian"])
    ctx.state["guardian"] = new
    ctx.parameter(event, "guardian", address_or_none(event.args["previousGuardian"]), new)


def approval_grace_changed(ctx: Context, event: Event) -> None:
    """A new approval grace period, checkpointed: it applies to proposals whose snapshot is now or
    later (the Governor looks the grace up at the snapshot), so their expiry moves."""
    new = int(event.args["newGrace"])
    ctx.state["approval_grace_period"] = new
    ctx.parameter(event, "approval_grace_period", event.args["previousGrace"], new)
    for proposal in ctx.uow.proposals_from(event.block_time):
        proposal["approval_grace"] = new
        proposal["expires_at"] = _expiry(proposal)


def call_scheduled(ctx: Context, event: Event) -> None:
    """A timelock call scheduled; remembered to tie the operation to the queued proposal."""
    operation = event.args["id"]
    if operation not in ctx.scheduled[event.tx_hash]:
        ctx.scheduled[event.tx_hash].append(operation)


def call_executed(ctx: Context, event: Event) -> None:
    """A timelock call executed: the proposal is executed even if someone called the timelock
    directly (the Governor then reports it Executed without a ProposalExecuted event)."""
    proposal = ctx.uow.proposal_by_operation(event.args["id"])
    if proposal is not None:
        _executed(ctx, event, proposal)


def setting_changed(ctx: Context, event: Event) -> None:
    """A Governor or timelock setting; the event's two values are (old, new)."""
    parameter, column = SETTINGS[event.name]
    old_name, new_name = ctx.registry.arg_names(event.contract, event.name)[:2]
    old, new = event.args[old_name], event.args[new_name]
    if column is not None:
        ctx.state[column] = new
    ctx.parameter(event, parameter, address_or_none(old) if isinstance(old, str) else old, new)


def role_changed(ctx: Context, event: Event) -> None:
    """Timelock roles granted, revoked, or their admin changed."""
    args = dict(event.args)
    if event.name == "RoleGranted":
        ctx.parameter(event, "role", None, args)
    elif event.name == "RoleRevoked":
        ctx.parameter(event, "role", args, None)
    else:
        ctx.parameter(event, "role_admin", args.get("previousAdminRole"), args)


HANDLERS = {
    "ProposalCreated": proposal_created,
    "VoteCast": vote_cast,
    "VoteCastWithParams": vote_cast,
    "ProposalQueued": proposal_queued,
    "ProposalExecuted": proposal_executed,
    "ProposalCanceled": proposal_canceled,
    "ProposalCanceledByGuardian": canceled_by_guardian,
    "GuardianChanged": guardian_changed,
    "ApprovalGracePeriodChanged": approval_grace_changed,
    "CallScheduled": call_scheduled,
    "CallExecuted": call_executed,
    "RoleGranted": role_changed,
    "RoleRevoked": role_changed,
    "RoleAdminChanged": role_changed,
    **dict.fromkeys(SETTINGS, setting_changed),
}
