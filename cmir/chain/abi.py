"""Fast event and call decoding driven by the ABIs of the deployment record.

Logs come straight from ``eth_getLogs`` (hex strings); their data is decoded by `cmir.chain.fastabi`
(calls in proposals by ``eth_abi``); the
arguments are normalised to JSON-ready Python values: integers stay ``int`` (exact, any size),
addresses are checksummed strings, byte strings are ``0x`` hex, structs become dicts keyed by
component name and arrays lists. The projections and the raw log use this one representation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from cmir.chain.deployment import Deployment
from cmir.chain.fastabi import decoder

Normalizer = Callable[[Any], Any]

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@lru_cache(maxsize=65_536)
def checksum(address: str) -> str:
    """The EIP-55 form of a hex address (cached: the same few addresses recur)."""
    return str(to_checksum_address(address))


def _identity(value: Any) -> Any:
    return value


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def canonical_type(entry: Mapping[str, Any]) -> str:
    """The canonical ABI type of an input (tuples spelled out as ``(t1,t2)``)."""
    kind = str(entry["type"])
    if kind.startswith("tuple"):
        inner = ",".join(canonical_type(c) for c in entry.get("components", []))
        return f"({inner}){kind[len('tuple') :]}"
    return kind


def normalizer(entry: Mapping[str, Any]) -> Normalizer:
    """A function turning what ``eth_abi`` decodes for `entry` into its JSON-ready form."""
    kind = str(entry["type"])
    if kind.endswith("]"):
        element = normalizer({**entry, "type": kind[: kind.rindex("[")]})
        return lambda values: [element(v) for v in values]
    if kind == "tuple":
        names = [str(c.get("name") or f"field{i}") for i, c in enumerate(entry.get("components", []))]
        parts = [normalizer(c) for c in entry.get("components", [])]
        if all(part is _identity for part in parts):
            return lambda values: dict(zip(names, values, strict=True))
        return lambda values: {name: part(v) for name, part, v in zip(names, parts, values, strict=True)}
    if kind == "address":
        return checksum
    if kind.startswith("bytes"):
        return _hex
    return _identity


def _topic_decoder(entry: Mapping[str, Any]) -> Normalizer:
    """Decode one indexed argument from its 32-byte topic (hex). Dynamic types keep their hash."""
    kind = str(entry["type"])
    if kind == "address":
        return lambda topic: checksum("0x" + topic[-40:])
    if kind.startswith("uint"):
        return lambda topic: int(topic, 16)
    if kind.startswith("int"):
        bits = 256

        def signed(topic: str) -> int:
            value = int(topic, 16)
            return value - (1 << bits) if value >= 1 << (bits - 1) else value

        return signed
    if kind == "bool":
        return lambda topic: int(topic, 16) != 0
    if kind.startswith("bytes") and kind != "bytes" and not kind.endswith("]"):
        width = int(kind[5:])
        return lambda topic: topic[: 2 + 2 * width].lower()
    return lambda topic: topic.lower()  # string, bytes, arrays, tuples: the keccak of the value


@dataclass(frozen=True)
class EventSpec:
    """How to decode one event of one contract."""

    contract: str
    name: str
    signature: str
    topic0: str
    indexed: tuple[tuple[str, Normalizer], ...]
    data_names: tuple[str, ...]
    data_types: tuple[str, ...]
    data_normalizers: tuple[Normalizer, ...]
    order: tuple[str, ...]
    data_decoder: Callable[[bytes], tuple[Any, ...]]
    in_order: bool

    def decode(self, topics: Sequence[str], data: str) -> dict[str, Any]:
        """Arguments of a log with these `topics` (topic0 first) and `data` (hex)."""
        values: dict[str, Any] = {}
        for (name, decode_topic), topic in zip(self.indexed, topics[1:], strict=True):
            values[name] = decode_topic(topic)
        if self.data_types:
            decoded = self.data_decoder(bytes.fromhex(data[2:]))
            for name, norm, value in zip(self.data_names, self.data_normalizers, decoded, strict=True):
                values[name] = norm(value)
        if self.in_order:
            return values
        return {name: values[name] for name in self.order}


@dataclass(frozen=True)
class FunctionSpec:
    """How to decode a call to one function of one contract."""

    contract: str
    name: str
    signature: str
    names: tuple[str, ...]
    types: tuple[str, ...]
    normalizers: tuple[Normalizer, ...]


def event_spec(contract: str, entry: Mapping[str, Any]) -> EventSpec:
    """The decoder of ABI event `entry` of `contract`."""
    inputs = list(entry.get("inputs", []))
    signature = f"{entry['name']}({','.join(canonical_type(i) for i in inputs)})"
    names = [str(i.get("name") or f"arg{n}") for n, i in enumerate(inputs)]
    indexed = tuple((names[n], _topic_decoder(i)) for n, i in enumerate(inputs) if i.get("indexed"))
    data = [(names[n], i) for n, i in enumerate(inputs) if not i.get("indexed")]
    return EventSpec(
        contract=contract,
        name=str(entry["name"]),
        signature=signature,
        topic0="0x" + keccak(text=signature).hex(),
        indexed=indexed,
        data_names=tuple(name for name, _ in data),
        data_types=tuple(canonical_type(i) for _, i in data),
        data_normalizers=tuple(normalizer(i) for _, i in data),
        order=tuple(names),
        data_decoder=decoder([canonical_type(i) for _, i in data]),
        in_order=[name for name, _ in indexed] + [name for name, _ in data] == names,
    )


def function_spec(contract: str, entry: Mapping[str, Any]) -> FunctionSpec:
    """The decoder of calls to ABI function `entry` of `contract`."""
    inputs = list(entry.get("inputs", []))
    types = tuple(canonical_type(i) for i in inputs)
    return FunctionSpec(
        contract=contract,
        name=str(entry["name"]),
        signature=f"{entry['name']}({','.join(types)})",
        names=tuple(str(i.get("name") or f"arg{n}") for n, i in enumerate(inputs)),
        types=types,
        normalizers=tuple(normalizer(i) for i in inputs),
    )


class AbiRegistry:
    """Event decoders by (address, topic0) and function decoders by (address, selector)."""

    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.events: dict[tuple[str, str], EventSpec] = {}
        self.functions: dict[tuple[str, str], FunctionSpec] = {}
        self.roles: dict[str, str] = {}
        for role, contract in deployment.contracts.items():
            address = contract.address.lower()
            self.roles[address] = role
            for entry in contract.abi:
                if entry.get("type") == "event" and not entry.get("anonymous"):
                    spec = event_spec(role, entry)
                    self.events[(address, spec.topic0)] = spec
                elif entry.get("type") == "function":
                    fn = function_spec(role, entry)
                    selector = "0x" + keccak(text=fn.signature)[:4].hex()
                    self.functions[(address, selector)] = fn

    def arg_names(self, contract: str, event: str) -> tuple[str, ...]:
        """The argument names of `event` of `contract`, in ABI order (stored JSON may reorder keys)."""
        for spec in self.events.values():
            if spec.contract == contract and spec.name == event:
                return spec.order
        raise KeyError(f"{contract} has no event {event}")

    @property
    def addresses(self) -> list[str]:
        """Checksummed addresses of the contracts decoded."""
        return [c.address for c in self.deployment.contracts.values()]

    def event_for(self, address: str, topic0: str) -> EventSpec | None:
        """The decoder of a log emitted by `address` with `topic0`, if the ABI knows it."""
        return self.events.get((address.lower(), topic0.lower()))

    def decode_call(self, target: str, calldata: str) -> dict[str, Any]:
        """Decode a call (``0x`` hex calldata) to one of our contracts: contract role, function,
        arguments. Calls elsewhere, or that do not decode, come back with ``decoded: False``."""
        role = self.roles.get(target.lower())
        selector = calldata[:10].lower()
        spec = self.functions.get((target.lower(), selector))
        if role is None or spec is None:
            return {"decoded": False, "contract": role, "selector": selector}
        from eth_abi.abi import decode as abi_decode  # rare (proposals' actions): imported late

        try:
            values = abi_decode(spec.types, bytes.fromhex(calldata[10:]))
        except Exception as exc:  # malformed calldata: keep it raw, say why
            return {"decoded": False, "contract": role, "selector": selector, "error": str(exc)[:200]}
        args = {n: norm(v) for n, norm, v in zip(spec.names, spec.normalizers, values, strict=True)}
        return {
            "decoded": True,
            "contract": role,
            "function": spec.name,
            "signature": spec.signature,
            "args": args,
        }
