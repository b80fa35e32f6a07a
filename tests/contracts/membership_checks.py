"""What the Membership tests (test_membership.py, test_admission.py) expect of a member joining:
its token id and the whole list of events joining emits."""

from __future__ import annotations

from typing import Any

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from cmir.chain.deploy import ZERO_ADDRESS
from tests.contracts.strict_checks import log


def token_id(account: Any) -> int:
    """The membership token id of `account`: its address as a number."""
    return int(str(account.address if hasattr(account, "address") else account), 16)


def fresh_address(label: str) -> str:
    """A deterministic address nobody holds a key for (an invitee that never signs)."""
    return to_checksum_address(keccak(text=label)[-20:])


def joined_events(
    membership: Any,
    account: Any,
    sponsor: Any,
    kind: int,
    joined_at: int,
    fee: int,
    by_governance: bool,
    votes_from: int,
    founder: bool = False,
) -> list[Any]:
    """The events of a member joining at `joined_at` whose vote counts from `votes_from`: a
    founder's vote counts at once (DelegateVotesChanged 0 -> 1); any other member's starts at the
    end of its probation, with no transaction and no event then (even with no probation)."""
    events = [
        log(
            membership.MemberJoined,
            member=account,
            sponsor=sponsor,
            kind=kind,
            joinedAt=joined_at,
            feePaid=fee,
            byGovernance=by_governance,
            votesFrom=votes_from,
        )
    ]
    if founder:
        events.append(log(membership.DelegateVotesChanged, delegate=account, previousVotes=0, newVotes=1))
    return [
        *events,
        log(membership.Transfer, **{"from": ZERO_ADDRESS, "to": account, "tokenId": token_id(account)}),
        log(membership.Locked, tokenId=token_id(account)),
    ]


def member_record(
    sponsor: Any, joined_at: int, kind: int, invitations_sent: int, excluded_at: int, votes_from: int
) -> tuple[str, int, int, int, int, int]:
    """`memberOf` as the contract returns it (sponsor, joinedAt, kind, invitationsSent,
    excludedAt, votesFrom)."""
    address = str(getattr(sponsor, "address", sponsor))
    return (address, joined_at, kind, invitations_sent, excluded_at, votes_from)
