"""Votes signed off chain and cast by someone else: OpenZeppelin Governor's EIP-712
``ExtendedBallot`` (proposal, support, voter, the voter's nonce, reason, params), which
``castVoteWithReasonAndParamsBySig`` checks before counting the vote for the signer.

A member votes without holding ether: it signs the ballot, a relayer sends it and pays the gas.
The Governor recovers the voter from the signature and spends the voter's nonce, so a relayer can
neither change the ballot (support, reason, proposal), nor cast it for another member, nor cast
it twice. The domain is read from the contract (ERC-5267 ``eip712Domain``), never assumed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.address import to_checksum_address

#: The Governor's ``EXTENDED_BALLOT_TYPEHASH`` as EIP-712 types.
EXTENDED_BALLOT_TYPES = {
    "ExtendedBallot": [
        {"name": "proposalId", "type": "uint256"},
        {"name": "support", "type": "uint8"},
        {"name": "voter", "type": "address"},
        {"name": "nonce", "type": "uint256"},
        {"name": "reason", "type": "string"},
        {"name": "params", "type": "bytes"},
    ]
}


@dataclass(frozen=True)
class Domain:
    """An EIP-712 domain with the fields a Governor uses (name, version, chain, contract)."""

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


@dataclass(frozen=True)
class Ballot:
    """One member's vote on one proposal, as it signs it (`nonce`: the Governor's ``nonces(voter)``
    when it signs; `params`: empty for GovernorCountingSimple)."""

    proposal_id: int
    support: int
    voter: str
    nonce: int
    reason: str = ""
    params: bytes = b""

    def typed_data(self, domain: Domain) -> dict[str, Any]:
        """The whole EIP-712 message (what ``eth_signTypedData_v4`` signs)."""
        return {
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                **EXTENDED_BALLOT_TYPES,
            },
            "primaryType": "ExtendedBallot",
            "domain": domain.as_typed_data(),
            "message": {
                "proposalId": self.proposal_id,
                "support": self.support,
                "voter": to_checksum_address(self.voter),
                "nonce": self.nonce,
                "reason": self.reason,
                "params": self.params,
            },
        }

    def sign(self, domain: Domain, private_key: bytes | str) -> bytes:
        """The voter's 65-byte signature of this ballot."""
        message = encode_typed_data(full_message=self.typed_data(domain))
        return bytes(Account.sign_message(message, private_key).signature)

    def signer(self, domain: Domain, signature: bytes) -> str:
        """Who signed `signature` over this ballot (the voter when it is genuine)."""
        return str(
            Account.recover_message(
                encode_typed_data(full_message=self.typed_data(domain)), signature=signature
            )
        )
