"""The membership's invitation allowance, replayed from the mirror (Membership._credits).

Each member has an anchor: invitations accrue one per refill period since it, up to the cap.
A founder's anchor starts a full allowance in the past; anyone else's is the end of its
probation. Sending an invitation moves the anchor one period on (or, at the cap, to ``cap - 1``
periods before now); a revocation gives it back (one period earlier, never below 0). The rules
are those in force at each step (``dao_state``).
"""

from __future__ import annotations


def credits(anchor: int, period: int, cap: int, now: int) -> tuple[int, int]:
    """Invitations available at `now` from `anchor`, and when the next accrues (0 at the cap):
    ``Membership.invitationsAvailable`` for an active member."""
    if now < anchor:
        return 0, anchor + period
    available = (now - anchor) // period
    if available >= cap:
        return cap, 0
    return available, anchor + (available + 1) * period


def anchor_at_join(now: int, votes_from: int, period: int, cap: int, founder: bool) -> int:
    """A new member's anchor: founders start with a full allowance, others at probation's end."""
    if founder:
        full = cap * period
        return now - full if now > full else 0
    return votes_from


def anchor_after_invite(anchor: int, period: int, cap: int, now: int) -> int:
    """The anchor once one invitation is sent at `now` (one was available)."""
    available, _ = credits(anchor, period, cap, now)
    if available >= cap:
        return now - (cap - 1) * period
    return anchor + period


def anchor_after_revoke(anchor: int, period: int) -> int:
    """The anchor once a revocation gives the sponsor its invitation back."""
    return anchor - period if anchor > period else 0
