"""The words of the contracts every layer shares, defined once: a proposal's state, a vote's
support, a member's kind.

Each is the Solidity enum it mirrors, in the same order (its values are the enum's): the indexer
stores them as integers, the API names them, the CLI and the demo send them, `cmir.chain.reverts`
spells them out in a revert's arguments. The auditor (`cmir.audit`) keeps its own words on
purpose, as it keeps its own client (see `cmir.chain.rpc`).
"""

from __future__ import annotations

from enum import IntEnum


class ProposalState(IntEnum):
    """OpenZeppelin's ``IGovernor.ProposalState``."""

    PENDING = 0
    ACTIVE = 1
    CANCELED = 2
    DEFEATED = 3
    SUCCEEDED = 4
    QUEUED = 5
    EXPIRED = 6
    EXECUTED = 7

    @property
    def label(self) -> str:
        """The Solidity name (``Pending``, ``Active``...)."""
        return self.name.title()


#: The states' Solidity names, by value.
PROPOSAL_STATES = tuple(state.label for state in ProposalState)


class Support(IntEnum):
    """How a member votes (GovernorCountingSimple's ``VoteType``)."""

    AGAINST = 0
    FOR = 1
    ABSTAIN = 2


#: The supports' names as the API and the demo write them (``against``, ``for``, ``abstain``), by value.
SUPPORT_NAMES = tuple(support.name.lower() for support in Support)

#: ``IMembership.MemberKind``'s names, by value.
MEMBER_KINDS = ("Pilote", "Abeille", "EssStructure")
