"""The CMIR database: one declarative base, the sync's tables and the projections."""

from indexer.db.base import Base
from indexer.db.models import Checkpoint, IndexBatch, IndexedBlock, RawEvent, UndoImage
from indexer.db.projections import (
    MEMBER_KINDS,
    BucketSnapshot,
    Claim,
    CollectiveSpend,
    DaoState,
    EssFunding,
    EssProject,
    EssProjectChange,
    EventRow,
    Inflow,
    Invitation,
    Member,
    ParameterChange,
    Proposal,
    ProposalChange,
    Relation,
    RewardFreeze,
    Vote,
)
from indexer.db.types import Uint256

__all__ = [
    "MEMBER_KINDS",
    "Base",
    "BucketSnapshot",
    "Checkpoint",
    "Claim",
    "CollectiveSpend",
    "DaoState",
    "EssFunding",
    "EssProject",
    "EssProjectChange",
    "EventRow",
    "IndexBatch",
    "IndexedBlock",
    "Inflow",
    "Invitation",
    "Member",
    "ParameterChange",
    "Proposal",
    "ProposalChange",
    "RawEvent",
    "Relation",
    "RewardFreeze",
    "Uint256",
    "UndoImage",
    "Vote",
]
