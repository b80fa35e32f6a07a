"""What the command line gives and what the CLI prints back: amounts (token units from euros, and
back), addresses, relation references, durations and times; and `AmountCommand`, which refuses a
negative amount as an amount instead of an unknown option."""

from __future__ import annotations

import re
import time
from decimal import Decimal, InvalidOperation
from typing import Any

from eth_utils.address import is_address, to_checksum_address
from typer.core import TyperCommand

from cmir.apps.cli.errors import BadInput

#: A negative number ("-5", "-2.50", "-2,50"): click reads it as an option's name.
NEGATIVE_NUMBER = re.compile(r"-\d[\d_]*(?:[.,]\d*)?")


class AmountCommand(TyperCommand):
    """A command with an AMOUNT argument (``@app.command(cls=AmountCommand)``). Click reads any
    word starting with a dash as an option, so a negative amount (``cmir member pay ADDRESS -5``)
    would fail as "No such option: -5"; here it is an amount, refused as one (exit code 2). A
    dash-number given as an option's value (``--ref -5``) is left to the option."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # ctx: Typer's own click Context
        """Refuse a negative amount, then parse as usual."""
        valued = {
            name
            for param in self.params
            if param.param_type_name == "option" and not getattr(param, "is_flag", False)
            for name in param.opts
        }
        following_option = False
        for word in args:
            if following_option:
                following_option = False
            elif word == "--":
                break
            elif word in valued:
                following_option = True
            elif NEGATIVE_NUMBER.fullmatch(word):
                raise BadInput(f"amount must be positive, got {word!r}")
        return super().parse_args(ctx, args)


def address(value: str, what: str = "address") -> str:
    """A checksummed address, or a one-line error."""
    if not is_address(value):
        raise BadInput(f"{what} {value!r} is not an Ethereum address (0x followed by 40 hex digits)")
    return to_checksum_address(value)


def units(amount: str, decimals: int, what: str = "amount") -> int:
    """Token units from a decimal amount ("25", "25.50" or "25,50" euros)."""
    text = amount.strip().replace(",", ".").replace("_", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise BadInput(f"{what} {amount!r} is not a number (e.g. 25 or 25.50)") from None
    if not value.is_finite() or value <= 0:
        raise BadInput(f"{what} must be positive, got {amount!r}")
    scaled = value.scaleb(decimals)
    if scaled != scaled.to_integral_value():
        raise BadInput(f"{what} {amount!r} has more than {decimals} decimals")
    return int(scaled)


def show_units(value: int, decimals: int, symbol: str = "") -> str:
    """A token amount as a decimal string (2 decimals at least)."""
    text = f"{Decimal(value).scaleb(-decimals):.{decimals}f}"
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0").ljust(2, "0")
    return f"{whole}.{fraction}" + (f" {symbol}" if symbol else "")


def relation_ref(text: str) -> bytes:
    """A relation reference as bytes32: 0x + 64 hex digits as is, else UTF-8 text of at most 32
    bytes, right-padded with zeros (readable back from the event)."""
    if text.startswith("0x") and len(text) == 66:
        try:
            return bytes.fromhex(text[2:])
        except ValueError:
            raise BadInput(f"reference {text!r} is not 32 bytes of hex") from None
    raw = text.encode()
    if not raw or len(raw) > 32:
        raise BadInput(f"reference {text!r} must be 1 to 32 bytes of text (or 0x + 64 hex digits)")
    return raw.ljust(32, b"\0")


def show_ref(raw: bytes) -> str:
    """A bytes32 reference back as text when it is padded text, else hex."""
    stripped = raw.rstrip(b"\0")
    try:
        text = stripped.decode()
    except UnicodeDecodeError:
        return "0x" + raw.hex()
    return text if text.isprintable() and stripped else "0x" + raw.hex()


def parse_duration(text: str) -> int:
    """Seconds from "90", "90s", "15m", "2h", "3d"."""
    units_ = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    number, unit = (text[:-1], text[-1]) if text and text[-1] in units_ else (text, "s")
    try:
        seconds = int(float(number) * units_[unit])
    except ValueError:
        raise BadInput(f"duration {text!r} is not like 90s, 15m, 2h or 3d") from None
    if seconds <= 0:
        raise BadInput("a duration must be positive")
    return seconds


def show_duration(seconds: int) -> str:
    """A duration for people: "3 d", "1.5 h", "15 min", "40 s"."""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:g} {unit}"
    return f"{seconds} s"


def show_wait(seconds: int) -> str:
    """How long until something, two units at most: "2 d 3 h", "5 h 12 min", "40 s"."""
    seconds = max(0, seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (secs, "s")]
    first = next((i for i, (n, _) in enumerate(parts) if n), len(parts) - 1)
    return " ".join(f"{n} {unit}" for n, unit in parts[first : first + 2] if n) or "0 s"


def show_time(timestamp: int) -> str:
    """A block timestamp as a UTC date and time."""
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(timestamp))
