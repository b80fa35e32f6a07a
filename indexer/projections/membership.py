"""Handlers of the membership contract's events: invitations, joins, exclusions, settings."""

from __future__ import annotations

from indexer.events import Event
from indexer.projections.context import Context, address_or_none


def _close_invitation(ctx: Context, event: Event, invitee: str, status: str) -> bool:
    invitation = ctx.uow.pending_invitation(invitee)
    if invitation is None:
        return False
    invitation.update(
        status=status, closed_block=event.block_number, closed_time=event.block_time, closed_tx=event.tx_hash
    )
    return True


def member_invited(ctx: Context, event: Event) -> None:
    """A member used one of its invitations."""
    args = event.args
    ctx.member(args["sponsor"])["invitations_sent"] += 1
    row = ctx.uow.invitations.create(
        {
            **event.base(),
            "invitee": args["invitee"],
            "sponsor": args["sponsor"],
            "kind": int(args["kind"]),
            "status": "pending",
            "closed_block": None,
            "closed_time": None,
            "closed_tx": None,
        }
    )
    ctx.uow.pending_invitations[args["invitee"]] = ctx.uow.invitations.key_of(row)


def invitation_revoked(ctx: Context, event: Event) -> None:
    """An invitation withdrawn by its sponsor, or superseded by a governance admission."""
    args = event.args
    _close_invitation(ctx, event, args["invitee"], "revoked")
    ctx.member(args["sponsor"])["invitations_sent"] -= 1


def member_joined(ctx: Context, event: Event) -> None:
    """A founder, an accepted invitation or a governance admission."""
    args = event.args
    member = ctx.member(args["member"])
    member.update(
        kind=int(args["kind"]),
        sponsor=address_or_none(args["sponsor"]),
        status="active",
        joined_at=int(args["joinedAt"]),
        joined_block=event.block_number,
        by_governance=bool(args["byGovernance"]),
        fee_paid=int(args["feePaid"]),
    )
    if not args["byGovernance"]:
        _close_invitation(ctx, event, args["member"], "accepted")
    ctx.state["active_members"] += 1
    ctx.state["members_total"] += 1


def member_excluded(ctx: Context, event: Event) -> None:
    """Governance excluded a member (its rewards are frozen by the pool's own event)."""
    args = event.args
    ctx.member(args["member"]).update(
        status="excluded",
        excluded_at=int(args["excludedAt"]),
        excluded_block=event.block_number,
        exclusion_reason=args["reason"],
    )
    ctx.state["active_members"] -= 1


def invitation_allowance_changed(ctx: Context, event: Event) -> None:
    """Invitations each member may send."""
    ctx.state["invitation_allowance"] = int(event.args["newAllowance"])
    ctx.parameter(event, "invitation_allowance", event.args["previousAllowance"], event.args["newAllowance"])


def membership_fee_changed(ctx: Context, event: Event) -> None:
    """Fee paid on accepting an invitation."""
    ctx.state["membership_fee"] = int(event.args["newFee"])
    ctx.parameter(event, "membership_fee", event.args["previousFee"], event.args["newFee"])


def pool_bound(ctx: Context, event: Event) -> None:
    """The pool bound to membership at deployment."""
    ctx.state["pool"] = event.args["pool"]
    ctx.parameter(event, "pool", None, event.args["pool"])


HANDLERS = {
    "MemberInvited": member_invited,
    "InvitationRevoked": invitation_revoked,
    "MemberJoined": member_joined,
    "MemberExcluded": member_excluded,
    "InvitationAllowanceChanged": invitation_allowance_changed,
    "MembershipFeeChanged": membership_fee_changed,
    "PoolBound": pool_bound,
}
