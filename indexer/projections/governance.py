"""Handlers of the Governor's and the timelock's events: proposals, votes, settings, roles."""

from __future__ import annotations

from typing import Any

from eth_utils.crypto import keccak

from indexer.events import Event
from indexer.projections.context import Context, address_or_none

SUPPORT_COLUMNS = {0: "against_votes", 1: "for_votes", 2: "abstain_votes"}

#: Governed settings: event name -> (parameter, DAO state column or None).
SETTINGS = {
    "VotingDelaySet": ("voting_delay", "voting_delay"),
    "VotingPeriodSet": ("voting_period", "voting_period"),
    "ProposalThresholdSet": ("proposal_threshold", "proposal_threshold"),
    "QuorumNumeratorUpdated": ("quorum_numerator", "quorum_numerator"),
    "TimelockChange": ("timelock", "timelock"),
    "MinDelayChange": ("timelock_min_delay", "timelock_min_delay"),
}


def _proposal(ctx: Context, event: Event) -> dict[str, Any] | None:
    return ctx.uow.proposals.get(ctx.uow.connection, (ctx.chain_id, int(event.args["proposalId"])))


def _change(ctx: Context, event: Event, state: str, eta: int | None = None) -> None:
    ctx.uow.add(
        "proposal_changes",
        {**event.base(), "proposal_id": int(event.args["proposalId"]), "state": state, "eta": eta},
    )


def proposal_created(ctx: Context, event: Event) -> None:
    """A proposal: its calls decoded where they target our contracts."""
    args = event.args
    targets, calldatas = list(args["targets"]), list(args["calldatas"])
    actions = []
    for index, (target, calldata, value) in enumerate(zip(targets, calldatas, args["values"], strict=True)):
        actions.append(
            {"index": index, "target": target, "value": value, **ctx.registry.decode_call(target, calldata)}
        )
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
    """Canceled by its proposer (or the timelock operation cancelled)."""
    proposal = _proposal(ctx, event)
    if proposal is not None:
        proposal.update(status="canceled", canceled_block=event.block_number, canceled_time=event.block_time)
    _change(ctx, event, "canceled")


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
    "CallScheduled": call_scheduled,
    "CallExecuted": call_executed,
    "RoleGranted": role_changed,
    "RoleRevoked": role_changed,
    "RoleAdminChanged": role_changed,
    **dict.fromkeys(SETTINGS, setting_changed),
}
