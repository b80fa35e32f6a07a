"""How the auditor compares what the API serves with what it read on the chain: records keyed by
an identity (an address, a proposal id, a block and log index), each a dict of fields (plain
values, objects, lists), compared field by field into objects and lists, every difference named
by its path (`compare`, `diff`; a flat record is the simplest case).

Normalised values (`normalise`): addresses in checksum form, times in Unix seconds, amounts and
points as integers of units, hashes in lower case, enums by the name the API gives them. A
field the API serves differently is a difference, and so is one the auditor does not know; a
field the API does not serve is not compared (unless asked: ``absent``); a record on one side
only is a difference too. API items by identity: `by_key`, `position`, `event_id`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from cmir.audit.chain import checksum

#: Records of one resource: identity -> field -> value.
Records = dict[str, dict[str, Any]]
#: What the chain side of a field the auditor does not know says, and the API side of one it
#: does not serve.
UNREAD = "not read by the auditor"
ABSENT = "absent"
#: Links the API builds from its own configuration (an explorer's URL, from a transaction hash).
LINKS = frozenset({"explorer_url"})
_HASH = re.compile(r"0x[0-9a-fA-F]{64}")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T")


@dataclass
class Difference:
    """One thing the API says differently from the chain."""

    what: str
    api: Any
    chain: Any
    field: str | None = None  # the figure of `what` that differs, when it has several

    def __str__(self) -> str:
        named = f"{self.field} " if self.field else ""
        return f"{self.what}: {named}API {self.api} != chain {self.chain}"

    def as_json(self) -> dict[str, Any]:
        """The difference for a report (values as text, so that large integers survive)."""
        return {
            "what": self.what,
            "field": self.field,
            "api": as_text(self.api),
            "chain": as_text(self.chain),
        }


def as_text(value: Any) -> Any:
    """A value for a JSON report: integers as text (so that large ones survive), lists item by
    item, anything else but a string, a flag or None as its repr."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return [as_text(v) for v in value]
    return repr(value)


def normalise(value: Any, name: str = "") -> Any:
    """API JSON or a chain record (field `name`) in the compared form: an Amount as its units (its
    display is those units with the token's decimals, nothing the mirror stores), addresses in
    checksum form, hashes and hex in lower case, bytes as lower-case hex, digit strings as ints,
    ISO times as Unix seconds, an explorer link (``explorer_url``) as the transaction hash it
    holds (the rest of it is the API's own configuration); objects, lists and tuples throughout."""
    if name in LINKS:
        if not isinstance(value, str):
            return value
        found = _HASH.search(value)
        return found.group(0).lower() if found else value
    if isinstance(value, dict):
        if set(value) == {"units", "display"}:
            return normalise(value["units"])
        return {k: normalise(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v) for v in value]
    if isinstance(value, tuple):
        return tuple(normalise(v) for v in value)
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, str):
        if value.startswith("0x"):
            return address(value) if len(value) == 42 else value.lower()
        if value.isascii() and value.isdigit():
            return int(value)
        if _ISO.match(value):
            return seconds(value)
    return value


def short(value: Any, other: Any = None) -> Any:
    """A value to print: a long text around where it first differs from `other`, a long list or
    object cut."""
    if isinstance(value, str):
        if len(value) <= 120:
            return value
        at = 0
        if isinstance(other, str):
            while at < min(len(value), len(other)) and value[at] == other[at]:
                at += 1
        start = max(0, at - 40)
        return ("…" if start else "") + value[start : start + 100] + "…"
    if isinstance(value, dict | list | tuple):
        text = repr(value)
        return value if len(text) <= 120 else text[:117] + "..."
    return value


def diff(
    what: str,
    api: Any,
    chain: Any,
    path: str,
    out: list[Difference],
    *,
    skip: frozenset[str] = frozenset(),
    absent: bool = False,
) -> None:
    """Every difference of `api` (the API's JSON) from `chain` (a chain record) into `out`, named
    by path (``quorum.required``, ``actions[0].payout.amount``): into objects (a field the API
    serves that the chain record lacks is a difference: the auditor must know every field it
    is shown) and lists (their lengths, then item by item; a tuple on the API's side is one
    value, a module's own compared form). Two values that differ are compared again normalised
    (`normalise`), so that only those not already equal are (most are: counts, flags, hashes).

    `skip`: fields never compared, at any depth (``LINKS``: links built from the API's own
    configuration); `absent`: a field of the chain record that the API does not serve is a
    difference too."""
    _diff(what, api, chain, path, out, skip, absent)


def _diff(
    what: str, api: Any, chain: Any, path: str, out: list[Difference], skip: frozenset[str], absent: bool
) -> None:
    if isinstance(api, dict) and isinstance(chain, dict):
        for name, value in api.items():
            if name in skip:
                continue
            sub = f"{path}.{name}" if path else name
            if name in chain:
                _diff(what, value, chain[name], sub, out, skip, absent)
            else:
                out.append(Difference(what, short(normalise(value, name)), UNREAD, field=sub))
        if absent:
            out += [
                Difference(
                    what, ABSENT, short(normalise(value, name)), field=f"{path}.{name}" if path else name
                )
                for name, value in chain.items()
                if name not in api and name not in skip
            ]
    elif isinstance(api, list) and isinstance(chain, list | tuple):
        if len(api) != len(chain):
            out.append(Difference(what, len(api), len(chain), field=f"{path} (count)"))
        for index, (theirs, mine) in enumerate(zip(api, chain, strict=False)):
            _diff(what, theirs, mine, f"{path}[{index}]", out, skip, absent)
    elif api != chain:
        name = path[path.rfind(".") + 1 :]
        theirs = normalise(api, name)
        if theirs != chain:  # the chain's record is most often in the compared form already
            mine = normalise(chain, name)
            if theirs != mine:
                out.append(Difference(what, short(theirs, mine), short(mine, theirs), field=path or None))


def compare(
    what: str,
    chain: Mapping[str, Any],
    api: Mapping[str, Any],
    *,
    skip: frozenset[str] = frozenset(),
    absent: bool = False,
) -> list[Difference]:
    """Records of one resource both ways, by key (``what`` names the resource: ``member 0x…:
    kind API EssStructure != chain Pilote``): one missing from the API, one the chain does not
    have, and each field that differs (`diff`, with `skip` and `absent`). A flat record (fields
    of plain values) is the simplest case."""
    differences: list[Difference] = []
    for key, mine in chain.items():
        theirs = api.get(key)
        if theirs is None:
            differences.append(Difference(f"{what} {key}", "missing", "present"))
        else:
            _diff(f"{what} {key}", theirs, mine, "", differences, skip, absent)
    differences += [Difference(f"{what} {key}", "listed", "absent") for key in api if key not in chain]
    return differences


K = TypeVar("K")


def by_key(
    items: Iterable[dict[str, Any]],
    key: Callable[[dict[str, Any]], K],
    what: str = "",
    differences: list[Difference] | None = None,
) -> dict[K, dict[str, Any]]:
    """API items by `key(item)`; an item listed twice is a difference in `differences` (without
    them, the last one stands)."""
    keyed: dict[K, dict[str, Any]] = {}
    for item in items:
        k = key(item)
        if k in keyed and differences is not None:
            differences.append(Difference(f"{what} {k}", "listed twice", "once"))
        keyed[k] = item
    return keyed


def position(item: Mapping[str, Any]) -> tuple[int, int]:
    """The (block, log index) of an event the API serves (a `TxRef`) or a chain record of one."""
    return int(item["block_number"]), int(item["log_index"])


def event_id(item: Mapping[str, Any]) -> str:
    """An event's id as the API names it: ``<block>-<log index>``."""
    return f"{item.get('block_number')}-{item.get('log_index')}"


def units(value: Any) -> int | None:
    """An Amount ({"units": "…"}) as an int."""
    return None if value is None else int(value["units"])


def number(value: Any) -> Any:
    """A figure the API serves as an integer, a digit string or an Amount ({"units": ...}), as an
    int; anything else as it is (so that it shows in the difference)."""
    if isinstance(value, dict) and "units" in value:
        value = value["units"]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def seconds(value: Any) -> Any:
    """A time the API serves as Unix seconds or an ISO 8601 string, as Unix seconds."""
    if isinstance(value, str) and not value.isdigit():
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        return int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp())
    return number(value)


def address(value: Any) -> Any:
    """An address in checksum form (None stays None; anything else as it is)."""
    if isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
        try:
            return checksum(value)
        except ValueError:
            return value
    return value


def hex_lower(value: Any) -> Any:
    """A hash or raw bytes as lower-case 0x text."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    return value.lower() if isinstance(value, str) else value
