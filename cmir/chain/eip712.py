"""EIP-712 typed data the members sign: the domain (read from a contract's ERC-5267
``eip712Domain``, never assumed) and the EIP-2612 ``Permit`` that lets the pool take a payment or
a fee in the same transaction. The Governor's ballot is in `cmir.chain.ballots`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.address import to_checksum_address

#: The ``EIP712Domain`` type of a domain with name, version, chain and contract (OpenZeppelin's EIP712).
DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]

#: EIP-2612's ``Permit``.
PERMIT_TYPES = {
    "Permit": [
        {"name": "owner", "type": "address"},
        {"name": "spender", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint256"},
    ]
}


@dataclass(frozen=True)
class Domain:
    """An EIP-712 domain with the fields OpenZeppelin's contracts use (name, version, chain,
    contract)."""

    name: str
    version: str
    chain_id: int
    verifying_contract: str

    @classmethod
    def from_eip712_domain(cls, fields: Sequence[Any]) -> Domain:
        """The domain from ERC-5267's ``eip712Domain()`` return values (fields, name, version,
        chainId, verifyingContract, salt, extensions)."""
        _, name, version, chain_id, contract, *_ = fields
        return cls(str(name), str(version), int(chain_id), to_checksum_address(str(contract)))

    def as_typed_data(self) -> dict[str, Any]:
        """The domain as EIP-712 typed data writes it."""
        return {
            "name": self.name,
            "version": self.version,
            "chainId": self.chain_id,
            "verifyingContract": self.verifying_contract,
        }


def typed_data(
    domain: Domain, types: dict[str, Any], primary: str, message: dict[str, Any]
) -> dict[str, Any]:
    """A whole EIP-712 message (what ``eth_signTypedData_v4`` signs) of the `primary` type."""
    return {
        "types": {"EIP712Domain": DOMAIN_TYPE, **types},
        "primaryType": primary,
        "domain": domain.as_typed_data(),
        "message": message,
    }


def permit(domain: Domain, owner: str, spender: str, value: int, nonce: int, deadline: int) -> dict[str, Any]:
    """`owner`'s EIP-2612 permit letting `spender` take `value` until `deadline` (the token's
    `nonce` for `owner`), as typed data."""
    message = {
        "owner": to_checksum_address(owner),
        "spender": to_checksum_address(spender),
        "value": value,
        "nonce": nonce,
        "deadline": deadline,
    }
    return typed_data(domain, PERMIT_TYPES, "Permit", message)


def sign(data: dict[str, Any], private_key: bytes | str) -> tuple[int, bytes, bytes]:
    """(v, r, s) of typed `data` signed with `private_key`."""
    signed = Account.sign_message(encode_typed_data(full_message=data), private_key)
    return int(signed.v), int(signed.r).to_bytes(32, "big"), int(signed.s).to_bytes(32, "big")


def signature(data: dict[str, Any], private_key: bytes | str) -> bytes:
    """The 65-byte signature of typed `data` (r, s, v)."""
    return bytes(Account.sign_message(encode_typed_data(full_message=data), private_key).signature)


def signer(data: dict[str, Any], signed: bytes) -> str:
    """Who signed typed `data` with the 65-byte signature `signed`."""
    return str(Account.recover_message(encode_typed_data(full_message=data), signature=signed))
