"""Explain a revert in a sentence: the custom error's name, its arguments and its meaning.

Meanings are the NatSpec of each error (``@notice`` of the project's interfaces, ``@dev`` of
OpenZeppelin's), taken from the compiled contracts' userdoc/devdoc in ``.build/__local__.json``
when the project is compiled, else from ``error_docs.json`` beside this file (written from the
same build by ``python -m cmir.chain.reverts``; a test keeps the two equal). A few of
OpenZeppelin's generic errors mean something precise in CMIR DAO (an expired approval, a
proposal that does not name its proposer, a proposer still in probation): `IN_CMIR` says it.
Times are shown as UTC dates, member kinds by name, and the token amounts of the errors (fees,
budgets, funds, balances, allowances) in euros when the caller says how (`explain`'s `amount`:
the CLI passes its token's decimals and symbol).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from eth_abi.abi import decode
from eth_utils.crypto import keccak

from cmir.chain.abi import canonical_type
from cmir.chain.paths import checkout, project_root
from cmir.chain.vocabulary import MEMBER_KINDS, PROPOSAL_STATES, ProposalState

DOCS_FILE = Path(__file__).with_name("error_docs.json")
DOCUMENTED_CONTRACTS = (
    "Membership",
    "Redistribution",
    "EssProjectRegistry",
    "CmirGovernor",
    "CmirTimelock",
    "CmirForwarder",
    "TestEuro",
    "TestnetEuro",
)
OPERATION_STATES = ("Unset", "Waiting", "Ready", "Done")
#: Arguments that are Unix times (shown as UTC dates; 0 stays 0).
TIME_ARGUMENTS = {"votesFrom", "nextAt", "expiresAt", "periodEndsAt"}
#: Arguments that are a `MemberKind`, by error.
KIND_ARGUMENTS = {"MembershipInvitationKindMismatch": {"invited", "expected"}}
#: Arguments that are token amounts (shown in euros when `explain` is given how), by error.
AMOUNT_ARGUMENTS = {
    "RedistributionFeeBelowMinimum": {"amount", "minimum"},
    "RedistributionMinRelationFeeAboveCeiling": {"fee", "ceiling"},
    "MembershipFeeAboveCeiling": {"fee", "ceiling"},
    "RedistributionCollectiveBudgetExceeded": {"requested", "left"},
    "RedistributionInsufficientFunds": {"requested", "available"},
    "RedistributionAmountTooLarge": {"amount"},
    "TestnetEuroDailyAllowanceExceeded": {"requested", "left"},
    # the payment token's own errors (OpenZeppelin's ERC-20)
    "ERC20InsufficientBalance": {"balance", "needed"},
    "ERC20InsufficientAllowance": {"allowance", "needed"},
}
EXPIRED = ProposalState.EXPIRED
#: What some of OpenZeppelin's generic errors mean in CMIR DAO (one sentence each), by signature.
IN_CMIR = {
    "GovernorRestrictedProposer(address)": "A proposal's description must end with `#proposer=` and its "
    "proposer's own address (the CLI adds it): no member can submit, pre-empt or cancel another's proposal.",
    "GovernorInsufficientProposerVotes(address,uint256,uint256)": "The `proposer` has no vote now: only a "
    "member past its probation may propose.",
    "FailedCall()": "The call relayed through the forwarder reverted (the forwarder does not pass its reason "
    "on): the same call made directly, or simulated by the relayer, names the error.",
}
#: GovernorUnexpectedProposalState when the proposal is Expired.
EXPIRED_MEANING = (
    "The approval expired (not queued, or not executed, within the grace period after its vote or its "
    "timelock delay): it can never run, only be proposed again."
)
PANIC_CODES = {
    0x01: "an assertion failed",
    0x11: "an arithmetic operation overflowed or underflowed",
    0x12: "division by zero",
    0x21: "an invalid enum value",
    0x22: "a corrupted storage byte array",
    0x31: "pop on an empty array",
    0x32: "an array index out of bounds",
    0x41: "too much memory allocated",
    0x51: "a call to an uninitialised function",
}


def build_manifest() -> Path | None:
    """The compiled project's Ape manifest (``.build/__local__.json`` of the checkout), if any."""
    root = checkout()
    return root / ".build" / "__local__.json" if root is not None else None


def docs_from_manifest(path: Path | None = None) -> dict[str, str]:
    """Error signature -> meaning, from a compiled Ape manifest (notice first, else details)."""
    types = json.loads((path or project_root() / ".build" / "__local__.json").read_text())["contractTypes"]
    docs: dict[str, str] = {}
    for name in DOCUMENTED_CONTRACTS:
        contract = types.get(name, {})
        for signature, entries in (contract.get("devdoc") or {}).get("errors", {}).items():
            for entry in entries:
                if entry.get("details"):
                    docs.setdefault(signature, " ".join(entry["details"].split()))
        for signature, entries in (contract.get("userdoc") or {}).get("errors", {}).items():
            for entry in entries:
                if entry.get("notice"):
                    docs[signature] = " ".join(entry["notice"].split())
    return dict(sorted(docs.items()))


@cache
def error_docs() -> dict[str, str]:
    """The meanings, from the build when there is one, else from the committed table."""
    manifest = build_manifest()
    if manifest is not None and manifest.exists():
        try:
            return docs_from_manifest(manifest)
        except (OSError, ValueError, KeyError):
            pass
    loaded: dict[str, str] = json.loads(DOCS_FILE.read_text())
    return loaded


def error_table(abis: list[list[dict[str, Any]]]) -> dict[bytes, dict[str, Any]]:
    """Selector -> error ABI entry, over several contracts' ABIs."""
    table: dict[bytes, dict[str, Any]] = {}
    for abi in abis:
        for entry in abi:
            if entry.get("type") != "error":
                continue
            signature = f"{entry['name']}({','.join(canonical_type(i) for i in entry.get('inputs', []))})"
            table[keccak(text=signature)[:4]] = {**entry, "signature": signature}
    return table


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


def _states(bitmap: bytes, names: tuple[str, ...]) -> str:
    number = int.from_bytes(bitmap, "big")
    wanted = [name for index, name in enumerate(names) if number & (1 << index)]
    return " or ".join(wanted) or "none"


def _arguments(
    name: str,
    inputs: list[dict[str, Any]],
    values: tuple[Any, ...],
    amount: Callable[[int], str] | None = None,
) -> str:
    shown = []
    for entry, value in zip(inputs, values, strict=True):
        label = entry.get("name") or entry["type"]
        text = _show(value)
        if amount is not None and label in AMOUNT_ARGUMENTS.get(name, ()) and isinstance(value, int):
            text = amount(value)
        if label in TIME_ARGUMENTS and isinstance(value, int) and value > 0:
            text = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(value))
        if label in KIND_ARGUMENTS.get(name, ()) and isinstance(value, int) and value < len(MEMBER_KINDS):
            text = MEMBER_KINDS[value]
        if name == "GovernorUnexpectedProposalState":
            if label == "current" and isinstance(value, int) and value < len(PROPOSAL_STATES):
                text = PROPOSAL_STATES[value]
            elif label == "expectedStates" and isinstance(value, bytes):
                text = _states(value, PROPOSAL_STATES)
        if name == "TimelockUnexpectedOperationState" and label == "expectedStates":
            text = _states(value, OPERATION_STATES)
        shown.append(f"{label}={text}")
    return ", ".join(shown)


def explain(
    data: str | bytes | None,
    abis: list[list[dict[str, Any]]],
    amount: Callable[[int], str] | None = None,
) -> str:
    """One sentence for revert `data` (hex or bytes) given the ABIs of the contracts involved;
    `amount`, when given, shows a token amount (in token units) for people, e.g. "10.00 tEUR"."""
    raw = bytes.fromhex(data[2:] if data.startswith("0x") else data) if isinstance(data, str) else data or b""
    if len(raw) < 4:
        return "the transaction reverted without a reason (out of gas, or a call to a non-contract)"
    selector, body = raw[:4], raw[4:]
    if selector == keccak(text="Error(string)")[:4]:
        (message,) = decode(["string"], body)
        return f"Error({message!r}): the contract refused with this message."
    if selector == keccak(text="Panic(uint256)")[:4]:
        (code,) = decode(["uint256"], body)
        return f"Panic(0x{code:02x}): {PANIC_CODES.get(code, 'an internal error')}."
    entry = error_table(abis).get(selector)
    if entry is None:
        return f"unknown error 0x{selector.hex()} (not in the deployment's ABIs)"
    inputs = entry.get("inputs", [])
    values: tuple[Any, ...] = ()
    try:
        values = tuple(decode([canonical_type(i) for i in inputs], body))
        arguments = _arguments(entry["name"], inputs, values, amount)
    except Exception:  # undecodable arguments: still name the error
        arguments = "?"
    meaning = IN_CMIR.get(entry["signature"]) or error_docs().get(
        entry["signature"], "no description in the contracts' NatSpec."
    )
    if entry["name"] == "GovernorUnexpectedProposalState" and values[1:2] == (EXPIRED,):
        meaning = EXPIRED_MEANING
    if len(meaning) > 160 and ". " in meaning:  # OpenZeppelin's longer notes: the first sentence
        meaning = meaning.split(". ", 1)[0] + "."
    return f"{entry['name']}({arguments}): {meaning}"


def main() -> None:
    """Write error_docs.json from the compiled project (run after `ape compile`)."""
    DOCS_FILE.write_text(json.dumps(docs_from_manifest(), indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {DOCS_FILE}", file=sys.stderr)


if __name__ == "__main__":
    main()
