"""A fast ABI decoder for event data, compiled once per event from its ABI types.

``eth_abi`` validates every pointer and checksums every address, about 0.5 ms per event of the
pool's; this decoder reads the standard head/tail layout directly (bounds-checked) and returns
the same values as ``eth_abi.decode`` except that addresses are lower-case (the normalisers
checksum them, cached). The indexer's tests check it against ``eth_abi`` on random values.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

Decode = Callable[[bytes, int], Any]

_ARRAY = re.compile(r"^(.*)\[(\d*)\]$")


class AbiDecodingError(ValueError):
    """The data does not hold a valid encoding of the types."""


@dataclass(frozen=True)
class Codec:
    """How to read one type: whether it is dynamic, its head size (bytes) if static, and a
    reader taking (data, position of the encoding)."""

    dynamic: bool
    size: int
    read: Decode


def _word(data: bytes, at: int) -> int:
    if at < 0 or at + 32 > len(data):
        raise AbiDecodingError(f"data too short: word at {at} of {len(data)} bytes")
    return int.from_bytes(data[at : at + 32], "big")


def split_types(inner: str) -> list[str]:
    """The types of a comma-separated list (``uint256,(address,bool)[]``), tuples kept whole."""
    parts, depth, current = [], 0, ""
    for char in inner:
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += char == "("
        depth -= char == ")"
        current += char
    if current:
        parts.append(current)
    return parts


def codec(type_: str) -> Codec:
    """The codec of one canonical ABI type (``uint256``, ``(address,uint256)[]``...)."""
    array = _ARRAY.match(type_)
    if array and not (type_.startswith("(") and type_.endswith(")")):
        element = codec(array.group(1))
        if array.group(2) == "":
            return _dynamic_array(element)
        return _fixed_array(element, int(array.group(2)))
    if type_.startswith("(") and type_.endswith(")"):
        return _tuple([codec(t) for t in split_types(type_[1:-1])])
    if type_.startswith("uint"):
        return Codec(False, 32, _word)
    if type_.startswith("int"):
        bits = 256

        def signed(data: bytes, at: int) -> int:
            value = _word(data, at)
            return value - (1 << bits) if value >= 1 << (bits - 1) else value

        return Codec(False, 32, signed)
    if type_ == "address":

        def address(data: bytes, at: int) -> str:
            _word(data, at)
            return "0x" + data[at + 12 : at + 32].hex()

        return Codec(False, 32, address)
    if type_ == "bool":
        return Codec(False, 32, lambda data, at: _word(data, at) != 0)
    if type_ in ("bytes", "string"):
        text = type_ == "string"

        def dynamic_bytes(data: bytes, at: int) -> Any:
            length = _word(data, at)
            if at + 32 + length > len(data):
                raise AbiDecodingError(f"{type_} of {length} bytes runs past the data")
            raw = data[at + 32 : at + 32 + length]
            return raw.decode("utf-8", errors="replace") if text else raw

        return Codec(True, 32, dynamic_bytes)
    if type_.startswith("bytes"):
        width = int(type_[5:])

        def fixed_bytes(data: bytes, at: int) -> bytes:
            _word(data, at)
            return data[at : at + width]

        return Codec(False, 32, fixed_bytes)
    raise AbiDecodingError(f"unsupported ABI type {type_}")


def _tuple(parts: Sequence[Codec]) -> Codec:
    dynamic = any(p.dynamic for p in parts)
    if not dynamic:
        size = sum(p.size for p in parts)
        offsets = []
        position = 0
        for part in parts:
            offsets.append(position)
            position += part.size
        readers = [(part.read, offset) for part, offset in zip(parts, offsets, strict=True)]
        if all(part.read is _word for part in parts):  # all uint: one comprehension

            def read_words(data: bytes, start: int) -> tuple[Any, ...]:
                if start < 0 or start + size > len(data):
                    raise AbiDecodingError(f"data too short: {size} bytes at {start} of {len(data)}")
                return tuple([int.from_bytes(data[start + o : start + o + 32], "big") for o in offsets])

            return Codec(False, size, read_words)

        def read_static(data: bytes, start: int) -> tuple[Any, ...]:
            return tuple([read(data, start + offset) for read, offset in readers])

        return Codec(False, size, read_static)

    def read(data: bytes, start: int) -> tuple[Any, ...]:
        values = []
        position = start
        for part in parts:
            if part.dynamic:
                values.append(part.read(data, start + _word(data, position)))
                position += 32
            else:
                values.append(part.read(data, position))
                position += part.size
        return tuple(values)

    return Codec(True, 32, read)


def _fixed_array(element: Codec, length: int) -> Codec:
    inner = _tuple([element] * length)
    return Codec(inner.dynamic, inner.size, inner.read)


def _dynamic_array(element: Codec) -> Codec:
    def read(data: bytes, at: int) -> tuple[Any, ...]:
        length = _word(data, at)
        if length > len(data):
            raise AbiDecodingError(f"array of {length} elements runs past the data")
        result: tuple[Any, ...] = _tuple([element] * length).read(data, at + 32)
        return result

    return Codec(True, 32, read)


def decoder(types: Sequence[str]) -> Callable[[bytes], tuple[Any, ...]]:
    """A function decoding ABI-encoded `types` (as ``eth_abi.decode(types, data)``)."""
    whole = _tuple([codec(t) for t in types])
    return lambda data: whole.read(data, 0)
