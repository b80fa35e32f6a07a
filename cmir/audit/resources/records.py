"""What several resources build alike on the chain's side, as the API defines it: an event's
`TxRef` (`tx_ref`), the block a response was read at (`as_of`), a member kind's name, and the
periods a series rolls its days into (`period_start`). How records are compared:
`cmir.audit.compare`."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from cmir.audit.chain import Event

ZERO = "0x0000000000000000000000000000000000000000"
#: Member kinds by their index in the contract's enum.
KINDS = ("Pilote", "Abeille", "EssStructure")
#: A series' periods (UTC days, ISO weeks from Monday, months), and the start of Unix time.
PERIODS = ("day", "week", "month")
DAY = 86_400
EPOCH = date(1970, 1, 1)


def kind_name(kind: int) -> str | int:
    """A member kind's name (the index itself when out of the enum, so that it shows)."""
    return KINDS[kind] if 0 <= kind < len(KINDS) else kind


def tx_ref(event: Event) -> dict[str, Any]:
    """The `TxRef` fields of an event (its explorer link aside)."""
    return {
        "tx_hash": event.tx_hash,
        "block_number": event.block,
        "log_index": event.log_index,
        "time": event.timestamp,
    }


def as_of(block: int, block_hash: str, time: int) -> dict[str, Any]:
    """The ``as_of`` of a response: the block it was read at."""
    return {"block": block, "block_hash": block_hash.lower(), "time": time}


def period_start(day: date, period: str) -> date:
    """The first day of the day, ISO week (Monday) or month holding `day`."""
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day
