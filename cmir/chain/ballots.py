"""Votes signed off chain and cast by someone else: OpenZeppelin Governor's EIP-712
``ExtendedBallot`` (proposal, support, voter, the voter's nonce, reason, params), which
``castVoteWithReasonAndParamsBySig`` checks before counting the vote for the signer.

A member votes without holding ether: it signs the ballot, a relayer sends it and pays the gas.
The Governor recovers the voter from the signature and spends the voter's nonce, so a relayer can
neither change the ballot (support, reason, proposal), nor cast it for another member, nor cast
it twice. The domain is read from the contract (ERC-5267 ``eip712Domain``): `cmir.chain.eip712`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address

from cmir.chain import eip712
from cmir.chain.eip712 import Domain

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
        message = {
            "proposalId": self.proposal_id,
            "support": self.support,
            "voter": to_checksum_address(self.voter),
            "nonce": self.nonce,
            "reason": self.reason,
            "params": self.params,
        }
        return eip712.typed_data(domain, EXTENDED_BALLOT_TYPES, "ExtendedBallot", message)

    def sign(self, domain: Domain, private_key: bytes | str) -> bytes:
        """The voter's 65-byte signature of this ballot."""
        return eip712.signature(self.typed_data(domain), private_key)

    def signer(self, domain: Domain, signature: bytes) -> str:
        """Who signed `signature` over this ballot (the voter when it is genuine)."""
        return eip712.signer(self.typed_data(domain), signature)
