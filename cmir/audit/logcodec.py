"""Fast ABI decoding for the auditor: an event's arguments read straight from the hex text of its
log (topics and data), by a function generated once per event from its ABI, and a view's result
read word by word. A network's hundreds of thousands of logs then decode in a few seconds
(`eth_abi` takes about ten times longer); values are the same as `eth_abi`'s, with addresses in
checksum form, tuples as dicts by component name, and strings decoded as UTF-8 with invalid
bytes replaced (so that no vote's reason can stop an audit). The indexer has its own decoder:
the audit shares no code with what it checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

#: Reads a value from hex text at a position (in hex digits).
Reader = Callable[[str, int], Any]
#: Decodes (topics, data) of a log into its arguments by name.
Decoder = Callable[[list[str], str], dict[str, Any]]

_CHECKSUMS: dict[str, str] = {}


class CodecError(ValueError):
    """The log or the answer does not hold what its ABI says."""


def checksum_hex(body: str) -> str:
    """The checksum address (EIP-55) of 40 hex digits (cached)."""
    found = _CHECKSUMS.get(body)
    if found is None:
        lower = body.lower()
        digest = keccak(lower.encode("ascii")).hex()
        found = "0x" + "".join(
            c.upper() if d in "89abcdef" else c for c, d in zip(lower, digest, strict=False)
        )
        if len(lower) != 40 or not all(c in "0123456789abcdef" for c in lower):
            found = to_checksum_address("0x" + body)  # not an address: let eth_utils say why
        _CHECKSUMS[body] = found
    return found


def _signed(value: int) -> int:
    return value - (1 << 256) if value >> 255 else value


def _word_kind(kind: str) -> str | None:
    """``address``, ``bool``, ``uint``, ``int`` or ``bytes<N>`` for a one-word type, else None."""
    if kind in ("address", "bool"):
        return kind
    if kind[-1:].isdigit() and "[" not in kind:
        for prefix in ("uint", "int", "bytes"):
            if kind.startswith(prefix):
                return kind
    return None


def static_size(entry: dict[str, Any]) -> int | None:
    """Hex digits of a static type (a word, or a tuple of such); None for any other."""
    kind = str(entry["type"])
    if kind == "tuple":
        sizes = [static_size(c) for c in entry["components"]]
        return None if any(s is None for s in sizes) else sum(s or 0 for s in sizes)
    return 64 if _word_kind(kind) else None


# ------------------------------------------------------------------------------ readers (views)


def _address(text: str, at: int) -> str:
    return checksum_hex(text[at + 24 : at + 64])


def _uint(text: str, at: int) -> int:
    return int(text[at : at + 64], 16)


def _int(text: str, at: int) -> int:
    return _signed(int(text[at : at + 64], 16))


def _bool(text: str, at: int) -> bool:
    return int(text[at : at + 64], 16) != 0


def _fixed_bytes(size: int) -> Reader:
    def read(text: str, at: int) -> bytes:
        return bytes.fromhex(text[at : at + 2 * size])

    return read


def _tuple(parts: list[tuple[str, Reader, int]]) -> Reader:
    def read(text: str, at: int) -> dict[str, Any]:
        return {name: reader(text, at + offset) for name, reader, offset in parts}

    return read


def compile_reader(entry: dict[str, Any]) -> tuple[Reader, int] | None:
    """A reader of a static type and its size in hex digits; None for a dynamic type."""
    kind = str(entry["type"])
    if kind == "tuple":
        parts, size = [], 0
        for component in entry["components"]:
            compiled = compile_reader(component)
            if compiled is None:
                return None
            parts.append((str(component["name"]), compiled[0], size))
            size += compiled[1]
        return _tuple(parts), size
    word = _word_kind(kind)
    if word is None:
        return None
    if word == "address":
        return _address, 64
    if word == "bool":
        return _bool, 64
    if word.startswith("uint"):
        return _uint, 64
    if word.startswith("int"):
        return _int, 64
    return _fixed_bytes(int(word[5:])), 64


# ------------------------------------------------------------------------------ dynamic values


def _check(text: str, end: int) -> None:
    if end > len(text):
        raise CodecError("a log's data is shorter than its event's ABI")


def _bytes_at(text: str, base: int, head: int) -> bytes:
    """The `bytes` whose offset (from `base`) is the word at `head`."""
    _check(text, head + 64)
    start = base + 2 * int(text[head : head + 64], 16)
    _check(text, start + 64)
    size = 2 * int(text[start : start + 64], 16)
    _check(text, start + 64 + size)
    return bytes.fromhex(text[start + 64 : start + 64 + size])


def _string_at(text: str, base: int, head: int) -> str:
    return _bytes_at(text, base, head).decode("utf-8", errors="replace")


def _array_at(text: str, base: int, head: int, reader: Reader, size: int) -> list[Any] | tuple[Any, ...]:
    """A ``T[]`` of a static `T` whose offset is the word at `head` (a tuple, as eth_abi gives
    it, but a list of addresses, as the auditor has always had them)."""
    _check(text, head + 64)
    start = base + 2 * int(text[head : head + 64], 16)
    _check(text, start + 64)
    count = int(text[start : start + 64], 16)
    _check(text, start + 64 + count * size)
    values = [reader(text, start + 64 + index * size) for index in range(count)]
    return values if reader is _address else tuple(values)


def _dynamic_array_at(text: str, base: int, head: int, string: bool) -> tuple[Any, ...]:
    """A ``bytes[]`` or ``string[]`` whose offset is the word at `head`."""
    _check(text, head + 64)
    start = base + 2 * int(text[head : head + 64], 16)
    _check(text, start + 64)
    count = int(text[start : start + 64], 16)
    _check(text, start + 64 + 64 * count)
    read = _string_at if string else _bytes_at
    return tuple(read(text, start + 64, start + 64 + 64 * index) for index in range(count))


# ------------------------------------------------------------------------------ generated decoders


def _static_expression(entry: dict[str, Any], source: str, at: int) -> str:
    """A Python expression reading static `entry` from `source` at hex digit `at`."""
    kind = str(entry["type"])
    if kind == "tuple":
        items, offset = [], at
        for component in entry["components"]:
            items.append(f"{str(component['name'])!r}: {_static_expression(component, source, offset)}")
            offset += static_size(component) or 0
        return "{" + ", ".join(items) + "}"
    word = _word_kind(kind) or ""
    window = f"{source}[{at}:{at + 64}]"
    if word == "address":
        return f"(_C.get(_x := {source}[{at + 24}:{at + 64}]) or _cs(_x))"
    if word == "bool":
        return f"(int({window}, 16) != 0)"
    if word.startswith("uint"):
        return f"int({window}, 16)"
    if word.startswith("int"):
        return f"_signed(int({window}, 16))"
    return f"bytes.fromhex({source}[{at}:{at + 2 * int(word[5:])}])"


def _dynamic_expression(entry: dict[str, Any], head: int, readers: dict[str, Any]) -> str | None:
    """A Python expression reading dynamic `entry` of the data whose head word is at `head`; None
    for a type left to eth_abi (dynamic tuples, nested arrays)."""
    kind = str(entry["type"])
    if kind == "string":
        return f"_string_at(d, 2, {head})"
    if kind == "bytes":
        return f"_bytes_at(d, 2, {head})"
    if kind in ("string[]", "bytes[]"):
        return f"_dynamic_array_at(d, 2, {head}, {kind == 'string[]'})"
    if kind.endswith("[]"):
        inner = {**entry, "type": kind[:-2]}
        compiled = compile_reader(inner)
        if compiled is None:
            return None
        name = f"_r{len(readers)}"
        readers[name] = compiled[0]
        return f"_array_at(d, 2, {head}, {name}, {compiled[1]})"
    return None


def compile_event(entry: dict[str, Any]) -> Decoder | None:
    """The decoder of an event's (topics, data); None when some input needs eth_abi."""
    indexed = [i for i in entry["inputs"] if i.get("indexed")]
    plain = [i for i in entry["inputs"] if not i.get("indexed")]
    items: list[str] = []
    for number, item in enumerate(indexed, start=1):
        static = item["type"] != "tuple" and static_size(item) is not None
        # A dynamic type or a tuple is indexed as its hash: kept as the raw topic.
        value = _static_expression(item, f"t[{number}]", 2) if static else f"bytes.fromhex(t[{number}][2:])"
        items.append(f"{str(item['name'])!r}: {value}")
    readers: dict[str, Any] = {}
    head = 2
    for item in plain:
        size = static_size(item)
        if size is not None:
            items.append(f"{str(item['name'])!r}: {_static_expression(item, 'd', head)}")
            head += size
            continue
        expression = _dynamic_expression(item, head, readers)
        if expression is None:
            return None
        items.append(f"{str(item['name'])!r}: {expression}")
        head += 64
    source = (
        "def decode(t, d):\n"
        f"    if len(t) != {len(indexed) + 1}:\n"
        "        raise CodecError(f'{len(t) - 1} indexed values, not the ABI count')\n"
        f"    if len(d) < {head}:\n"
        "        raise CodecError(\"a log's data is shorter than its event's ABI\")\n"
        "    return {" + ", ".join(items) + "}\n"
    )
    namespace: dict[str, Any] = {
        "_C": _CHECKSUMS,
        "_cs": checksum_hex,
        "_signed": _signed,
        "_string_at": _string_at,
        "_bytes_at": _bytes_at,
        "_array_at": _array_at,
        "_dynamic_array_at": _dynamic_array_at,
        "CodecError": CodecError,
        **readers,
    }
    exec(compile(source, f"<decoder of {entry['name']}>", "exec"), namespace)  # noqa: S102 (ABI-built)
    decoder: Decoder = namespace["decode"]
    return decoder
