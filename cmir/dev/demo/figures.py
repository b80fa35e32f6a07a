"""What the seeded demo's story adds up to, read back from the pool's events: relations, claims
and what they paid, and how much of the members' share went to ESS instead (no matured points
yet, above an epoch's reward cap, rounding), as the summary `make up` prints.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from web3 import Web3

#: The pool's inflow events and the kind of inflow each books.
INFLOWS = {
    "RelationPaid": "relation",
    "Contributed": "contribution",
    "MembershipFeeReceived": "membership_fee",
    "SurplusAccounted": "surplus",
}


@dataclass
class StoryFigures:
    """The demo's money, in token units."""

    relations: int = 0
    contributions: int = 0
    membership_fees: int = 0
    claims: int = 0
    claimed: int = 0
    to_members: int = 0
    members_to_ess: int = 0  # of the members' shares, what went to ESS
    surplus_to_ess: int = 0
    exclusions: int = 0


def story_figures(w3: Web3, record: dict[str, Any]) -> StoryFigures:
    """Add up the pool's events since the deployment block of `record` (a deployment record)."""
    entry = record["contracts"]["pool"]
    pool = w3.eth.contract(address=Web3.to_checksum_address(entry["address"]), abi=entry["abi"])
    start = int(record.get("deployment_block", 0))
    events: list[tuple[str, Any]] = [
        ("shares", log) for log in pool.events.SharesChanged().get_logs(from_block=start)
    ]
    for name, kind in INFLOWS.items():
        events += [(kind, log) for log in getattr(pool.events, name)().get_logs(from_block=start)]
    events.sort(key=lambda item: (int(item[1]["blockNumber"]), int(item[1]["logIndex"])))
    figures = StoryFigures()
    ess_bps = 0
    for kind, log in events:
        args = log["args"]
        if kind == "shares":
            ess_bps = int(args["newShares"]["essBps"])
            continue
        amount, split = int(args["amount"]), args["split"]
        to_members, to_ess = int(split["toMembers"]), int(split["toEss"])
        if kind == "surplus":
            figures.surplus_to_ess += to_ess
            continue
        figures.relations += kind == "relation"
        figures.contributions += kind == "contribution"
        figures.membership_fees += kind == "membership_fee"
        figures.to_members += to_members
        figures.members_to_ess += to_ess - -(-amount * ess_bps // 10_000)  # beyond the ESS share
    claims = pool.events.RewardsClaimed().get_logs(from_block=start)
    figures.claims = len(claims)
    figures.claimed = sum(int(log["args"]["amount"]) for log in claims)
    figures.exclusions = len(pool.events.MemberRewardsFrozen().get_logs(from_block=start))
    return figures


def as_summary(figures: StoryFigures) -> dict[str, int]:
    """The figures as a plain dictionary (for the seed's JSON summary)."""
    return asdict(figures)
