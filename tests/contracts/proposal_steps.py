"""Steps of a proposal's life shared by the Governor tests (test_governance.py,
test_governor_safeguards.py): submit it bound to its proposer, pass it, and what OpenZeppelin's
errors and the timelock derive from it."""

from __future__ import annotations

from typing import Any

from cmir.chain import governance as gov
from cmir.chain.governance import ProposalState, Support


def expected_states(*states: ProposalState) -> bytes:
    """OpenZeppelin's `expectedStates`: one bit per state a call accepts."""
    return sum(1 << int(state) for state in states).to_bytes(32, "big")


def start_voting(governor: Any, proposal: gov.Proposal, proposer: Any) -> int:
    """`proposer` submits `proposal` (bound to it) and voting opens; returns its id."""
    bound = proposal.by(proposer)
    gov.propose(governor, bound, proposer)
    proposal_id = bound.proposal_id(governor)
    gov.wait_for_voting_start(governor, proposal_id)
    return proposal_id


def pass_vote(governor: Any, proposal: gov.Proposal, proposer: Any, voters: list[Any]) -> int:
    """`proposer` submits `proposal` (bound to it), `voters` vote For, and voting closes; returns its id."""
    proposal_id = start_voting(governor, proposal, proposer)
    for voter in voters:
        gov.vote(governor, proposal_id, Support.FOR, voter)
    gov.wait_for_voting_end(governor, proposal_id)
    return proposal_id


def timelock_salt(governor: Any, proposal: gov.Proposal) -> bytes:
    """The timelock salt GovernorTimelockControl derives: governor address XOR description hash."""
    padded = bytes.fromhex(str(governor.address)[2:]) + b"\x00" * 12
    return bytes(a ^ b for a, b in zip(padded, proposal.description_hash, strict=True))
