"""Synthetic decoded events: what the indexer's decoder (`cmir.indexer.events.decode_logs`) would
give for logs the bench never sends to a chain. Arguments are in ABI order and in the decoder's
JSON-ready form (ints, checksummed addresses, ``0x`` hex bytes, structs as dicts), so the events
feed the indexer's own writer (`cmir.indexer.store.Store.write_batch`), raw log included, and
``cmir index rebuild`` projects the same rows again. `ShapeCheck` keeps that promise honest."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from cmir.chain.abi import AbiRegistry, canonical_type
from cmir.indexer.events import Event

#: (contract role, event name, arguments in ABI order)
Call = tuple[str, str, dict[str, Any]]


@dataclass(frozen=True)
class Block:
    """A real block of the bench chain."""

    number: int
    hash: str
    parent_hash: str
    timestamp: int


def address(i: int) -> str:
    """A deterministic checksummed address."""
    return str(to_checksum_address(f"0x{(i * 2654435761 + 0xC0FFEE) % (1 << 160):040x}"))


class BlockLog:
    """The events of one block, numbered as the chain numbers them: an index and a hash per
    transaction, a log index per event."""

    def __init__(self, chain_id: int, block: Block, addresses: Mapping[str, str]) -> None:
        self.chain_id = chain_id
        self.block = block
        self.addresses = addresses
        self.events: list[Event] = []
        self.transactions = 0

    def tx(self, *calls: Call) -> None:
        """One transaction emitting `calls`, in order."""
        block, index = self.block, self.transactions
        self.transactions += 1
        tx_hash = f"0x{block.number:032x}{index:032x}"
        for contract, name, args in calls:
            self.events.append(
                Event(
                    chain_id=self.chain_id,
                    block_number=block.number,
                    block_hash=block.hash,
                    block_time=block.timestamp,
                    tx_hash=tx_hash,
                    tx_index=index,
                    log_index=len(self.events),
                    contract=contract,
                    address=self.addresses[contract],
                    name=name,
                    args=args,
                    args_json=json.dumps(args),  # as the indexer's prefetch serialises it
                )
            )


def _abi_value(entry: Mapping[str, Any], value: Any) -> Any:
    """A decoded argument back as ``eth_abi.encode`` takes it."""
    kind = str(entry["type"])
    if kind.endswith("]"):
        inner = {**entry, "type": kind[: kind.rindex("[")]}
        return [_abi_value(inner, v) for v in value]
    if kind == "tuple":
        return tuple(_abi_value(c, value[c["name"]]) for c in entry["components"])
    if kind.startswith("bytes"):
        return bytes.fromhex(value[2:])
    return value


class ShapeCheck:
    """Encodes the first event of each kind as the contract would log it (``eth_abi``) and
    decodes it with the indexer's registry: it must come back as it was made, key order
    included, or the synthetic events no longer look like the real ones."""

    def __init__(self, registry: AbiRegistry) -> None:
        self.registry = registry
        self.seen: set[tuple[str, str]] = set()

    def __call__(self, events: Iterable[Event]) -> None:
        """Check the kinds of `events` not checked yet; raises ValueError on a difference."""
        for event in events:
            kind = (event.contract, event.name)
            if kind in self.seen:
                continue
            self.seen.add(kind)
            topics, data = self._log(event)
            spec = self.registry.event_for(event.address, topics[0])
            if spec is None:
                raise ValueError(f"the registry does not know {kind}")
            decoded = json.dumps(spec.decode(topics, data))
            if decoded != event.args_json:
                raise ValueError(f"synthetic {kind} is {event.args_json}, the decoder gives {decoded}")

    def _log(self, event: Event) -> tuple[list[str], str]:
        contract = self.registry.deployment.contracts[event.contract]
        (entry,) = [e for e in contract.abi if e.get("type") == "event" and e.get("name") == event.name]
        inputs = list(entry["inputs"])
        signature = f"{event.name}({','.join(canonical_type(i) for i in inputs)})"
        topics = ["0x" + keccak(text=signature).hex()]
        types, values = [], []
        for entry_input in inputs:
            value = _abi_value(entry_input, event.args[entry_input["name"]])
            if entry_input.get("indexed"):  # static types only among ours
                topics.append("0x" + encode([canonical_type(entry_input)], [value]).hex())
            else:
                types.append(canonical_type(entry_input))
                values.append(value)
        return topics, "0x" + encode(types, values).hex()
