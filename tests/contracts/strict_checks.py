"""Strict receipt and revert checks for Ape 0.8.51, shared by the contract tests.

`ape.reverts(Error, **inputs)` passes when the revert is not decoded as a custom error at all
(a constructor's or a view call's revert) and ignores the inputs it is not given; `reverts` below
checks the error's name and its complete inputs in every case. With anvil, Ape reports a reverted
view call's custom error only as anvil's text: `view_call` makes the call over raw JSON-RPC to
keep the revert data.

`contract.EventName(...)` builds a `MockContractLog` that compares only the arguments it is
given (a missing or None argument is not checked), so an expected event built by `log` must name
every argument of the event. Ape 0.8.51 also fails to build a mock whose argument is a struct
(a dict or tuple value for a `tuple` input raises "zip() argument 2 is shorter than argument 1"
in `ContractEvent.__call__`), so struct arguments are set on the mock as decoded logs carry them:
a list of the struct's fields, addresses in lower case. `emitted` gives a receipt's events once
sure that Ape decoded every log, to compare with a whole list of expected logs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ape
from ape import chain
from ape.exceptions import CustomError
from eth_abi.abi import decode
from eth_utils.address import is_address, to_checksum_address
from eth_utils.crypto import keccak
from eth_utils.hexadecimal import is_hexstr
from hexbytes import HexBytes


def _plain(value: Any) -> Any:
    """`value` as the ABI decoder gives it: accounts and contracts become checksum addresses."""
    if hasattr(value, "address"):
        return str(value.address)
    if isinstance(value, str) and is_address(value):
        return to_checksum_address(value)
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, int):
        return int(value)
    return value


def _decoded(value: Any) -> Any:
    """`value` as Ape decodes a struct field of a log: lists for tuples, addresses in lower case."""
    if isinstance(value, list | tuple):
        return [_decoded(item) for item in value]
    if hasattr(value, "address"):
        return str(value.address).lower()
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return value.lower()
    return value


@contextmanager
def reverts(error: Any, **inputs: Any) -> Iterator[None]:
    """Expect a revert with the custom `error` (e.g. `pool.RedistributionZeroAmount`) carrying
    exactly `inputs` (every one, by name; none for an error without any).

    No error class is given to `ape.reverts`: it would insist on the class of the contract Ape
    attributes the revert to, while an error bubbling up through another contract (a token's, a
    pool's re-entered by a mock) may be decoded from either. The name and inputs are checked here,
    and a revert Ape could not decode (a constructor's) is decoded against the error's ABI.
    """
    abi = error.abi
    names = [ipt.name for ipt in abi.inputs]
    assert sorted(inputs) == sorted(names), f"{abi.name} takes {names}, the test gave {sorted(inputs)}"
    expected = {name: _plain(inputs[name]) for name in names}
    with ape.reverts() as info:
        yield
    raised = info.value
    if isinstance(raised, CustomError):
        assert type(raised).__name__ == abi.name, f"expected {abi.name}, reverted with {raised!r}"
        actual = {name: _plain(value) for name, value in raised.inputs.items()}
    else:
        message = str(raised.revert_message)
        assert is_hexstr(message), f"undecoded revert {message!r}: make a view call with `view_call`"
        data = HexBytes(message)
        assert data[:4] == keccak(text=abi.selector)[:4], f"expected {abi.selector}, reverted with {message}"
        values = decode([ipt.canonical_type for ipt in abi.inputs], data[4:])
        actual = {name: _plain(value) for name, value in zip(names, values, strict=True)}
    assert actual == expected, f"{abi.name} inputs {actual} != {expected}"


def view_call(method: Any, *args: Any) -> HexBytes:
    """Call the view `method` through raw JSON-RPC; if it reverts, raise its custom error, decoded.

    With anvil, Ape reports a reverted call's custom error only as anvil's text, which
    `ape.reverts` cannot check; the raw JSON-RPC error keeps the revert data.
    """
    address = method.contract.address
    request = {"to": address, "data": method.encode_input(*args).to_0x_hex()}
    response = chain.provider.web3.provider.make_request("eth_call", [request, "latest"])
    if "error" not in response:
        return HexBytes(response["result"])
    data = HexBytes(response["error"]["data"])
    error = chain.provider.network.ecosystem.decode_custom_error(data, address)
    assert error is not None, f"revert data {data.to_0x_hex()} is no error of {address}"
    raise error


def emitted(receipt: Any) -> list[Any]:
    """The decoded events of `receipt`, once sure that Ape decoded every log it holds."""
    assert len(receipt.logs) == len(receipt.events), f"undecoded logs in {receipt.logs}"
    return list(receipt.events)


def log(event: Any, **arguments: Any) -> Any:
    """The mock log of `event` with every one of its arguments (Ape skips those left out); struct
    inputs take a tuple of their fields in declaration order."""
    names = [ipt.name for ipt in event.abi.inputs]
    assert sorted(arguments) == sorted(names), f"{event.name} has {names}, the test gave {sorted(arguments)}"
    assert all(value is not None for value in arguments.values()), "None would skip the comparison"
    structs = {ipt.name for ipt in event.abi.inputs if str(ipt.type).startswith("tuple")}
    mock = event(**{name: value for name, value in arguments.items() if name not in structs})
    mock.event_arguments.update({name: _decoded(arguments[name]) for name in structs})
    return mock
