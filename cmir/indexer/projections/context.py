"""What every event handler works with: the unit of work, the DAO state row, and the links
between events of one transaction (a proposal's execution and the changes it made)."""

from __future__ import annotations

import logging
from collections import defaultdict
from operator import itemgetter
from typing import Any

from cmir.chain.abi import ZERO_ADDRESS, AbiRegistry
from cmir.indexer.events import BASE_COLUMNS, Event
from cmir.indexer.projections.unit import Row, UnitOfWork
from cmir.store import DaoState, epochs
from cmir.store.columns import FIGURES
from cmir.store.epochs import Clock

log = logging.getLogger(__name__)

#: Columns of a bucket snapshot, in the order `Context.snapshot` gives them.
SNAPSHOT_COLUMNS = (
    *BASE_COLUMNS,
    "cause",
    *FIGURES,
    "members_available",
    "ess_available",
    "collective_available",
    "matured_points",
    "pending_points",
    "reward_per_point",
    "epoch",
)
_figures = itemgetter(*FIGURES)  # the DAO state's figures, in FIGURES' order


def new_member(chain_id: int, address: str) -> Row:
    """A member row before any event filled it in."""
    return {
        "chain_id": chain_id,
        "address": address,
        "kind": None,
        "sponsor": None,
        "status": "unknown",
        "joined_at": None,
        "joined_block": None,
        "by_governance": None,
        "fee_paid": 0,
        "excluded_at": None,
        "excluded_block": None,
        "exclusion_reason": None,
        "matured_points": 0,
        "pending_points": 0,
        "pending_epoch": None,
        "matures_at": None,
        "accrued": 0,
        "reward_per_point_paid": 0,
        "claimed": 0,
        "invitations_sent": 0,
        "votes_from": None,
        "invitation_anchor": None,
        "relations_paid": 0,
        "relations_received": 0,
        "amount_paid": 0,
    }


def new_state(chain_id: int) -> Row:
    """The DAO state before the deployment's first event, read off the model: every counter and
    total 0, every setting (a nullable column) None until its event sets it."""
    row: Row = {column.name: None if column.nullable else 0 for column in DaoState.__table__.columns}
    row["chain_id"] = chain_id
    row["points_epoch"] = 1  # the pool's epochs start at 1 at deployment
    return row


class Context:
    """Per-batch handler context."""

    def __init__(self, uow: UnitOfWork, registry: AbiRegistry) -> None:
        self.uow = uow
        self.registry = registry
        self.chain_id = uow.chain_id
        states = uow.aggregates["dao_state"]
        self.state: Row = states.get(uow.connection, (self.chain_id,)) or states.create(
            new_state(self.chain_id)
        )
        self.scheduled: dict[str, list[str]] = defaultdict(list)  # tx -> timelock operation ids
        self.tx_proposal: dict[str, int] = {}  # tx -> proposal executed in it
        self.proposal_linked: dict[str, list[Row]] = defaultdict(list)  # tx -> rows to link
        #: (tx, project id) of projects switched off in a transaction: a wallet change then says why
        self.switched_off: set[tuple[str, int]] = set()
        self._member_rows = uow.members.rows
        #: epoch -> the accumulator after its last inflow in this batch (see `matured_at`)
        self.epoch_rates: dict[int, int] = {}
        self.clock: Clock | None = Clock.from_state(self.state)

    def member(self, address: str) -> Row:
        """The member row of `address`, created blank if the mirror has none yet."""
        key = (self.chain_id, address)
        row = self._member_rows.get(key)  # held already (the preload read nearly all of them)
        if row is not None:
            return row
        row = self.uow.members.get(self.uow.connection, key)
        return row if row is not None else self.uow.members.create(new_member(self.chain_id, address))

    def epoch_at(self, timestamp: int) -> int:
        """The pool's epoch at `timestamp` (the clock is set by the pool's constructor)."""
        if self.clock is None:
            raise ValueError("a pool event before the pool's EpochLengthChanged")
        return self.clock.epoch_at(timestamp)

    def matured_at(self, epoch: int) -> int:
        """The accumulator when `epoch` ended: after the last inflow of that epoch or before, in
        this batch or an earlier one."""
        earlier = [e for e in self.epoch_rates if e <= epoch]
        if earlier:
            return self.epoch_rates[max(earlier)]
        return epochs.matured_at(self.uow.connection, self.chain_id, epoch)

    def mismatch(self, event: Event, what: str) -> None:
        """Record that the replayed arithmetic disagrees with an event (never expected)."""
        self.state["accumulator_mismatches"] += 1
        log.error(
            "mirror math diverges at %s %s (block %s): %s",
            event.name,
            event.tx_hash,
            event.block_number,
            what,
        )

    def snapshot(self, event: Event) -> None:
        """Record the buckets right after `event`, the points as ``totals()`` shows them then."""
        s = self.state
        epoch = self.epoch_at(event.block_time)
        matured, pending = s["matured_points"], s["pending_points"]
        if s["points_epoch"] < epoch:  # the last booking's pending points have matured
            matured, pending = matured + pending, 0
        self.uow.add_values(
            "bucket_snapshots",
            SNAPSHOT_COLUMNS,
            (
                *event.base_values(),
                event.name,
                *_figures(s),
                s["members_received"] - s["rewards_claimed"],
                s["ess_received"] - s["ess_disbursed"],
                s["collective_received"] - s["collective_spent"],
                matured,
                pending,
                s["reward_per_point"],
                epoch,
            ),
        )

    def parameter(self, event: Event, parameter: str, old: Any, new: Any) -> None:
        """Record a governed setting's change (linked later to the proposal executing it)."""
        row = {
            **event.base(),
            "contract": event.contract,
            "event": event.name,
            "parameter": parameter,
            "old_value": old,
            "new_value": new,
            "proposal_id": None,
        }
        self.uow.add("parameter_changes", row)
        self.proposal_linked[event.tx_hash].append(row)

    def link_proposals(self) -> None:
        """Give rows made in a proposal's execution transaction that proposal's id."""
        for tx, proposal_id in self.tx_proposal.items():
            for row in self.proposal_linked.get(tx, ()):
                row["proposal_id"] = proposal_id


def address_or_none(address: str) -> str | None:
    """None for the zero address."""
    return None if address == ZERO_ADDRESS else address
