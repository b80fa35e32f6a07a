"""Handlers of the membership contract's events: invitations, joins, exclusions, the admission
rules, attesters and attestations, settings."""

from __future__ import annotations

from typing import Any

from cmir.chain.abi import ZERO_ADDRESS
from cmir.indexer.events import Event
from cmir.indexer.projections.context import Context, address_or_none
from cmir.store import invitations

UINT16_MAX = 2**16 - 1


def _close_invitation(
    ctx: Context, event: Event, invitee: str, sponsor: str, status: str, **fields: Any
) -> bool:
    invitation = ctx.uow.pending_invitation(invitee, sponsor)
    if invitation is None:
        return False
    invitation.update(
        status=status,
        closed_block=event.block_number,
        closed_time=event.block_time,
        closed_tx=event.tx_hash,
        **fields,
    )
    return True


def _rules(ctx: Context) -> tuple[int, int] | None:
    """(refill period, cap) in force, None before the rules are known."""
    period, cap = ctx.state["invitation_refill_period"], ctx.state["invitation_cap"]
    return None if period is None or cap is None else (int(period), int(cap))


def member_invited(ctx: Context, event: Event) -> None:
    """A member used one of its invitations: the allowance's anchor moves on. An expired
    invitation of the same pair is renewed (the chain keeps one per invitee and sponsor)."""
    args = event.args
    invitee, sponsor = args["invitee"], args["sponsor"]
    member = ctx.member(sponsor)
    if member["invitations_sent"] < UINT16_MAX:
        member["invitations_sent"] += 1
    rules = _rules(ctx)
    if rules is not None and member["invitation_anchor"] is not None:
        period, cap = rules
        member["invitation_anchor"] = invitations.anchor_after_invite(
            int(member["invitation_anchor"]), period, cap, event.block_time
        )
    expires_at = int(args["expiresAt"])
    ttl = ctx.state["invitation_ttl"]
    if ttl is not None and expires_at != event.block_time + int(ttl):
        ctx.mismatch(event, f"expiresAt {expires_at} != block time + ttl {ttl}")
    _close_invitation(ctx, event, invitee, sponsor, "renewed")
    row = ctx.uow.invitations.create(
        {
            **event.base(),
            "invitee": invitee,
            "sponsor": sponsor,
            "kind": int(args["kind"]),
            "status": "pending",
            "expires_at": expires_at,
            "closed_block": None,
            "closed_time": None,
            "closed_tx": None,
            "revoked_by": None,
        }
    )
    ctx.uow.pending_invitations[(invitee, sponsor)] = ctx.uow.invitations.key_of(row)


def invitation_revoked(ctx: Context, event: Event) -> None:
    """An invitation withdrawn by its sponsor or by governance: the sponsor gets it back."""
    args = event.args
    _close_invitation(ctx, event, args["invitee"], args["sponsor"], "revoked", revoked_by=args["revokedBy"])
    member = ctx.member(args["sponsor"])
    if member["invitations_sent"] > 0:
        member["invitations_sent"] -= 1
    rules = _rules(ctx)
    if rules is not None and member["invitation_anchor"] is not None:
        anchor = int(member["invitation_anchor"])
        member["invitation_anchor"] = invitations.anchor_after_revoke(anchor, rules[0])


def member_joined(ctx: Context, event: Event) -> None:
    """A founder (no sponsor, not by governance), an accepted invitation or a governance
    admission; its vote counts from the end of its probation."""
    args = event.args
    member = ctx.member(args["member"])
    joined_at, votes_from = int(args["joinedAt"]), int(args["votesFrom"])
    founder = not args["byGovernance"] and args["sponsor"] == ZERO_ADDRESS
    rules = _rules(ctx)
    anchor = None
    if rules is not None:
        period, cap = rules
        anchor = invitations.anchor_at_join(joined_at, votes_from, period, cap, founder)
    member.update(
        kind=int(args["kind"]),
        sponsor=address_or_none(args["sponsor"]),
        status="active",
        joined_at=joined_at,
        joined_block=event.block_number,
        by_governance=bool(args["byGovernance"]),
        fee_paid=int(args["feePaid"]),
        votes_from=votes_from,
        invitation_anchor=anchor,
    )
    if not args["byGovernance"] and not founder:
        _close_invitation(ctx, event, args["member"], args["sponsor"], "accepted")
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


def rules_changed(ctx: Context, event: Event) -> None:
    """New admission rules: probation (for members joining later), the allowance's refill period
    and cap, and how long an invitation lives."""
    new = event.args["newRules"]
    ctx.state.update(
        probation=int(new["probation"]),
        invitation_refill_period=int(new["invitationRefillPeriod"]),
        invitation_cap=int(new["invitationCap"]),
        invitation_ttl=int(new["invitationTtl"]),
    )
    ctx.parameter(event, "membership_rules", event.args["previousRules"], new)


def attester_changed(ctx: Context, event: Event) -> None:
    """Governance made an account an attester of ESS structures, or no longer."""
    args = event.args
    allowed = bool(args["allowed"])
    key = (ctx.chain_id, args["attester"])
    attester = ctx.uow.attesters.get(ctx.uow.connection, key)
    if attester is None:
        attester = ctx.uow.attesters.create(
            {
                "chain_id": ctx.chain_id,
                "address": args["attester"],
                "allowed": allowed,
                "changed_block": event.block_number,
                "changed_time": event.block_time,
                "attestations": 0,
            }
        )
    attester.update(allowed=allowed, changed_block=event.block_number, changed_time=event.block_time)
    ctx.parameter(event, "attester", None, {"attester": args["attester"], "allowed": allowed})


def ess_structure_attested(ctx: Context, event: Event) -> None:
    """An attester attested that an account is an ESS structure (it may then accept an
    invitation as one)."""
    args = event.args
    ctx.uow.add("attestations", {**event.base(), "account": args["account"], "attester": args["attester"]})
    attester = ctx.uow.attesters.get(ctx.uow.connection, (ctx.chain_id, args["attester"]))
    if attester is not None:
        attester["attestations"] += 1


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
    "MembershipRulesChanged": rules_changed,
    "AttesterChanged": attester_changed,
    "EssStructureAttested": ess_structure_attested,
    "MembershipFeeChanged": membership_fee_changed,
    "PoolBound": pool_bound,
}
