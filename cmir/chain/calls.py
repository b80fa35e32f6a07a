"""Contract calls by role and function name over the project's JSON-RPC client, for the relayer
(the API's checks and the sender): encode a call from the deployment's ABIs, run it with
``eth_call`` or ``eth_estimateGas`` from a given sender, decode its result, and turn a revert into
`RevertError`, explained in one sentence as the CLI shows it (`cmir.chain.reverts`)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from cmir.chain.abi import canonical_type
from cmir.chain.deployment import Deployment
from cmir.chain.errors import CmirError, RpcResponseError
from cmir.chain.reverts import error_table, explain
from cmir.chain.rpc import RpcClient

#: JSON-RPC error code of an execution revert (EIP-1474), as anvil and geth answer it.
EXECUTION_REVERTED = 3


class RevertError(CmirError):
    """A call reverted: `data` is its revert data, `error` the custom error's name (empty when
    unknown), `explanation` the sentence the CLI prints."""

    def __init__(self, data: bytes, error: str, explanation: str) -> None:
        super().__init__(explanation)
        self.data = data
        self.error = error
        self.explanation = explanation


@dataclass(frozen=True)
class Function:
    """One function of a deployed contract: selector, input and output types."""

    role: str
    name: str
    selector: bytes
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


def show_units(value: int, decimals: int, symbol: str) -> str:
    """A token amount for people ("25.50 tEUR"): as the CLI writes it."""
    text = f"{Decimal(value).scaleb(-decimals):.{decimals}f}"
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.rstrip('0').ljust(2, '0')} {symbol}".strip()


def revert_data(exc: RpcResponseError) -> bytes | None:
    """The revert bytes a node attached to a failed ``eth_call``/``eth_estimateGas`` (None when
    the failure is not a revert)."""
    data: Any = exc.data
    if isinstance(data, dict):  # some nodes nest it
        data = data.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return bytes.fromhex(data[2:])
        except ValueError:
            return None
    if exc.code == EXECUTION_REVERTED or "revert" in exc.rpc_message.lower():
        return b""
    return None


class Caller:
    """Calls to the contracts of `deployment` through `client`."""

    def __init__(self, client: RpcClient, deployment: Deployment) -> None:
        self.client = client
        self.deployment = deployment
        self.abis = [list(c.abi) for c in deployment.contracts.values()]
        self._errors = error_table(self.abis)
        self.functions: dict[tuple[str, str], Function] = {}
        for role, contract in deployment.contracts.items():
            for entry in contract.abi:
                if entry.get("type") != "function":
                    continue
                inputs = tuple(canonical_type(i) for i in entry.get("inputs", []))
                signature = f"{entry['name']}({','.join(inputs)})"
                self.functions.setdefault(
                    (role, str(entry["name"])),
                    Function(
                        role,
                        str(entry["name"]),
                        keccak(text=signature)[:4],
                        inputs,
                        tuple(canonical_type(o) for o in entry.get("outputs", [])),
                    ),
                )
        units = deployment.token
        self._decimals = units.decimals if units else 6
        self._symbol = units.symbol if units else "EUR"

    def address(self, role: str) -> str:
        """The address of the contract of `role`."""
        return self.deployment.contracts[role].address

    def function(self, role: str, name: str) -> Function:
        """The function `name` of the contract of `role` (KeyError when it has none)."""
        return self.functions[(role, name)]

    def encode(self, role: str, name: str, *args: Any) -> bytes:
        """Calldata of `name(args)` on the contract of `role`."""
        function = self.function(role, name)
        return function.selector + abi_encode(list(function.inputs), list(args))

    def amount(self, value: int) -> str:
        """A token amount as the CLI shows it."""
        return show_units(value, self._decimals, self._symbol)

    def reverted(self, data: bytes) -> RevertError:
        """`RevertError` for revert `data`: the custom error's name and the CLI's sentence."""
        entry = self._errors.get(data[:4]) if len(data) >= 4 else None
        name = str(entry["name"]) if entry else ""
        if not name and data[:4] == keccak(text="Error(string)")[:4]:
            name = "Error"
        if not name and data[:4] == keccak(text="Panic(uint256)")[:4]:
            name = "Panic"
        return RevertError(data, name, explain(data, self.abis, self.amount))

    def raw_call(
        self,
        to: str,
        data: bytes,
        sender: str | None = None,
        block: str | int = "latest",
        gas: int | None = None,
    ) -> bytes:
        """``eth_call`` of `data` on `to` (from `sender`); `RevertError` when it reverts."""
        call: dict[str, Any] = {"to": to_checksum_address(to), "data": "0x" + data.hex()}
        if sender is not None:
            call["from"] = to_checksum_address(sender)
        if gas is not None:
            call["gas"] = hex(gas)
        try:
            result = self.client.call("eth_call", [call, hex(block) if isinstance(block, int) else block])
        except RpcResponseError as exc:
            found = revert_data(exc)
            if found is None:
                raise
            raise self.reverted(found) from None
        return bytes.fromhex(str(result)[2:])

    def call(self, role: str, name: str, *args: Any, sender: str | None = None) -> tuple[Any, ...]:
        """The decoded outputs of the view (or simulated call) `name(args)` on `role`."""
        function = self.function(role, name)
        raw = self.raw_call(self.address(role), self.encode(role, name, *args), sender)
        return tuple(abi_decode(list(function.outputs), raw))

    def estimate(self, to: str, data: bytes, sender: str) -> int:
        """``eth_estimateGas`` of `data` on `to` from `sender`; `RevertError` when it reverts."""
        call = {"from": to_checksum_address(sender), "to": to_checksum_address(to), "data": "0x" + data.hex()}
        try:
            return int(self.client.call("eth_estimateGas", [call]), 16)
        except RpcResponseError as exc:
            found = revert_data(exc)
            if found is None:
                raise
            raise self.reverted(found) from None

    def chain_time(self) -> int:
        """The latest block's timestamp (what the contracts compare deadlines with)."""
        block = self.client.call("eth_getBlockByNumber", ["latest", False])
        return int(block["timestamp"], 16)
