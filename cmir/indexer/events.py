"""Decoded events as the projections and the raw log see them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cmir.chain.abi import AbiRegistry

#: Columns of the raw log that `Event.raw_tuple` fills, in its order.
RAW_COLUMNS = (
    "chain_id",
    "block_number",
    "block_hash",
    "block_time",
    "tx_hash",
    "tx_index",
    "log_index",
    "contract",
    "address",
    "event",
    "args",
)


#: Columns every event row starts with, in `Event.base_values` order.
BASE_COLUMNS = ("chain_id", "tx_hash", "log_index", "block_number", "block_time")


@dataclass(slots=True)
class Event:
    """One decoded log. ``contract`` is the emitter's role in the deployment (pool, governor...)."""

    chain_id: int
    block_number: int
    block_hash: str
    block_time: int
    tx_hash: str
    tx_index: int
    log_index: int
    contract: str
    address: str
    name: str
    args: dict[str, Any]
    #: ``args`` already serialised as the raw log stores it (``json.dumps``), when the prefetch
    #: process did it (off the writer's critical path); None otherwise.
    args_json: str | None = None

    def base(self) -> dict[str, Any]:
        """The columns every event row starts with."""
        return {
            "chain_id": self.chain_id,
            "tx_hash": self.tx_hash,
            "log_index": self.log_index,
            "block_number": self.block_number,
            "block_time": self.block_time,
        }

    def base_values(self) -> tuple[int, str, int, int, int]:
        """`base` as values of `BASE_COLUMNS`."""
        return (self.chain_id, self.tx_hash, self.log_index, self.block_number, self.block_time)

    def raw_row(self) -> dict[str, Any]:
        """The event's row in the raw log."""
        return {
            "chain_id": self.chain_id,
            "block_number": self.block_number,
            "block_hash": self.block_hash,
            "block_time": self.block_time,
            "tx_hash": self.tx_hash,
            "tx_index": self.tx_index,
            "log_index": self.log_index,
            "contract": self.contract,
            "address": self.address,
            "event": self.name,
            "args": self.args,
        }

    def raw_tuple(self) -> tuple[Any, ...]:
        """The event's row in the raw log as database-ready values in `RAW_COLUMNS` order (needs
        `args_json`)."""
        return (
            self.chain_id,
            self.block_number,
            self.block_hash,
            self.block_time,
            self.tx_hash,
            self.tx_index,
            self.log_index,
            self.contract,
            self.address,
            self.name,
            self.args_json,
        )

    @classmethod
    def from_raw_row(cls, row: Any) -> Event:
        """Rebuild an event from its raw-log row (for `rebuild`)."""
        return cls(
            chain_id=int(row.chain_id),
            block_number=int(row.block_number),
            block_hash=row.block_hash,
            block_time=int(row.block_time),
            tx_hash=row.tx_hash,
            tx_index=int(row.tx_index),
            log_index=int(row.log_index),
            contract=row.contract,
            address=row.address,
            name=row.event,
            args=dict(row.args),
        )


def decode_logs(
    registry: AbiRegistry, chain_id: int, logs: list[dict[str, Any]], times: dict[int, int]
) -> tuple[list[Event], int]:
    """Decode `eth_getLogs` results, in chain order. `times` maps block numbers to timestamps.
    Returns the events and how many logs no ABI knew (left out)."""
    events: list[Event] = []
    unknown = 0
    for log in logs:
        if log.get("removed"):
            continue
        topics = log["topics"]
        spec = registry.event_for(log["address"], topics[0]) if topics else None
        if spec is None:
            unknown += 1
            continue
        number = int(log["blockNumber"], 16)
        events.append(
            Event(
                chain_id=chain_id,
                block_number=number,
                block_hash=log["blockHash"].lower(),
                block_time=times[number],
                tx_hash=log["transactionHash"].lower(),
                tx_index=int(log["transactionIndex"], 16),
                log_index=int(log["logIndex"], 16),
                contract=spec.contract,
                address=registry.deployment.contracts[spec.contract].address,
                name=spec.name,
                args=spec.decode(topics, log["data"]),
            )
        )
    events.sort(key=lambda e: (e.block_number, e.log_index))
    return events, unknown
