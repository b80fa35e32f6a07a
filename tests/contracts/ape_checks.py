"""Strict event and revert assertions for Ape 0.8 tests.

`contract.EventName(...)` builds a `MockContractLog` that compares only the arguments it is
given (a missing or None argument is not checked), so an expected event built here must name
every argument of the event. Ape 0.8.51 also fails to build a mock whose argument is a struct
(a dict or tuple value for a `tuple` input raises "zip() argument 2 is shorter than argument 1"
in `ContractEvent.__call__`), so struct arguments are set on the mock as decoded logs carry them:
a list of the struct's fields, addresses in lower case.

`ape.reverts(Error, **inputs)` passes when the revert is not decoded as a custom error at all
(a constructor's revert, for one), and ignores an input name the error does not have; `reverts`
below checks the error's name and its complete inputs in every case.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ape
from ape.exceptions import CustomError
from ape.pytest.contextmanagers import RevertInfo
from ape.types import MockContractLog
from eth_abi import decode
from eth_utils import keccak, to_checksum_address
from hexbytes import HexBytes


def _decoded(value: Any) -> Any:
    """`value` as Ape decodes a struct field: lists for tuples, addresses in lower case."""
    if isinstance(value, list | tuple):
        return [_decoded(item) for item in value]
    if hasattr(value, "address"):
        return str(value.address).lower()
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return value.lower()
    return value


def log(event: Any, **arguments: Any) -> MockContractLog:
    """The expected log of `event` (a `contract.EventName`) with exactly these `arguments`.

    Every input of the event must be given, so nothing is left unchecked; struct inputs take a
    tuple of their fields in declaration order.
    """
    names = [item.name for item in event.abi.inputs]
    assert sorted(arguments) == sorted(names), f"{event.name} takes {names}, got {sorted(arguments)}"
    assert all(value is not None for value in arguments.values()), "None would skip a check"
    struct_inputs = {item.name for item in event.abi.inputs if str(item.type).startswith("tuple")}
    mock = event(**{name: value for name, value in arguments.items() if name not in struct_inputs})
    for name in struct_inputs:
        mock.event_arguments[name] = _decoded(arguments[name])
    return mock


def assert_events(receipt: Any, expected: list[MockContractLog]) -> None:
    """The receipt emitted exactly `expected`, in order, and no log Ape could not decode."""
    assert len(receipt.logs) == len(expected), f"{len(receipt.logs)} logs: {receipt.events}"
    assert receipt.events == expected


def _plain(value: Any) -> Any:
    """An account or contract as its checksum address; anything else unchanged."""
    return str(value.address) if hasattr(value, "address") else value


def _raised_error(raised: Any, error: type[CustomError]) -> tuple[str, dict[str, Any]]:
    """Name and inputs of the custom error `raised` carries. Ape decodes a custom error from the
    contract a transaction was sent to (or the last one its trace touched); a constructor's
    revert comes back undecoded, so its data is decoded here with `error`'s ABI."""
    if isinstance(raised, CustomError):
        return type(raised).__name__, dict(raised.inputs)
    try:
        data = HexBytes(raised.revert_message)
    except ValueError:
        raise AssertionError(f"expected {error.__name__}, got {raised!r}") from None
    selector = keccak(text=error.abi.selector)[:4]
    assert data[:4] == selector, f"expected {error.__name__} ({selector.hex()}), got {raised!r}"
    types = [item.canonical_type for item in error.abi.inputs]
    values = decode(types, data[4:])
    inputs = {
        item.name: to_checksum_address(value) if item.canonical_type == "address" else value
        for item, value in zip(error.abi.inputs, values, strict=True)
    }
    return error.__name__, inputs


@contextmanager
def reverts(error: type[CustomError], **inputs: Any) -> Iterator[RevertInfo]:
    """Like `ape.reverts(error, **inputs)`, strictly: the revert must carry the custom error named
    like `error` (e.g. `pool.RedistributionZeroAmount`), with exactly `inputs` as its arguments
    (none for an error without any)."""
    expected = {name: _plain(value) for name, value in inputs.items()}
    # No error class given to ape.reverts: it would insist on the class of the contract Ape
    # attributes the revert to, while an error bubbling up through another contract (a token's,
    # a pool's re-entered by a mock) may be decoded from either. Name and inputs are checked below.
    with ape.reverts() as info:
        yield info
    name, actual = _raised_error(info.value, error)
    assert name == error.__name__, f"expected {error.__name__}, got {name}"
    assert actual == expected, f"{error.__name__} inputs {actual} != {expected}"
