"""Strict receipt and revert checks for Ape 0.8.51, shared by the contract tests.

Ape's `ape.reverts` passes on reverts it cannot decode (constructor and view-call reverts)
and ignores unknown argument names; its event mocks compare only the arguments given and
cannot hold struct arguments. These helpers check error names, every argument, and whole
event lists.
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


@contextmanager
def reverts(error: Any, **inputs: Any) -> Iterator[None]:
    """Expect a revert with the custom `error` carrying exactly `inputs` (every one, by name).

    Wraps `ape.reverts`, which skips the inputs it is not given and does not check an error it
    could not decode (a constructor's revert): that raw revert data is decoded here against the
    error's ABI, so every expectation is checked.
    """
    abi = error.abi
    names = [ipt.name for ipt in abi.inputs]
    assert sorted(inputs) == sorted(names), f"{abi.name} takes {names}, the test gave {sorted(inputs)}"
    expected = {name: _plain(inputs[name]) for name in names}
    with ape.reverts(error, **expected) as info:
        yield
    raised = info.value
    if isinstance(raised, CustomError):
        assert type(raised).__name__ == abi.name, f"expected {abi.name}, reverted with {raised}"
        actual = {name: _plain(value) for name, value in raised.inputs.items()}
    else:
        message = str(raised.revert_message)
        assert is_hexstr(message), f"undecoded revert {message!r}: make a view call with `view_call`"
        data = HexBytes(message)
        assert data[:4] == keccak(text=abi.selector)[:4], f"expected {abi.selector}, reverted with {message}"
        values = decode([ipt.canonical_type for ipt in abi.inputs], data[4:])
        actual = {name: _plain(value) for name, value in zip(names, values, strict=True)}
    assert actual == expected


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
    """The mock log of `event` with every one of its arguments (Ape skips those left out)."""
    names = [ipt.name for ipt in event.abi.inputs]
    assert sorted(arguments) == sorted(names), f"{event.name} has {names}, the test gave {sorted(arguments)}"
    assert all(value is not None for value in arguments.values()), "None would skip the comparison"
    # Ape 0.8.51 cannot build a mock from a struct argument: set those, as decoded lists, afterwards.
    structs = {ipt.name for ipt in event.abi.inputs if ipt.type == "tuple"}
    mock = event(**{name: value for name, value in arguments.items() if name not in structs})
    mock.event_arguments.update({name: list(arguments[name]) for name in structs})
    return mock
