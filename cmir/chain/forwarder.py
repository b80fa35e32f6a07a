"""Member actions signed off chain and sent by a relayer: OpenZeppelin's ``ERC2771Forwarder``
``ForwardRequest`` (from, to, value, gas, the signer's nonce, deadline, data).

The member signs the request with its key (EIP-712, the forwarder's domain read from its
ERC-5267 ``eip712Domain``); anyone may then call the forwarder's ``execute`` with the request and
the signature, and pay the gas. The forwarder checks the signature, the deadline and the nonce
(which it spends), then calls ``to`` with ``data`` and the signer's address appended: the CMIR
contracts (ERC2771Context) read it as ``_msgSender()``. A relayer can therefore neither change a
request nor send it twice nor send it for someone else; it can only send it or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address

from cmir.chain import eip712
from cmir.chain.eip712 import Domain

#: The forwarder's ``_FORWARD_REQUEST_TYPEHASH`` as EIP-712 types.
FORWARD_REQUEST_TYPES = {
    "ForwardRequest": [
        {"name": "from", "type": "address"},
        {"name": "to", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "gas", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint48"},
        {"name": "data", "type": "bytes"},
    ]
}


@dataclass(frozen=True)
class ForwardRequest:
    """A call `sender` asks the forwarder to make on its behalf (`nonce`: the forwarder's
    ``nonces(sender)`` when it signs; `gas`: the gas the call gets, which the forwarder checks
    the relayer provided; `deadline`: a Unix time after which the request is refused)."""

    sender: str
    to: str
    data: bytes
    gas: int
    nonce: int
    deadline: int
    value: int = 0

    def typed_data(self, domain: Domain) -> dict[str, Any]:
        """The whole EIP-712 message (what ``eth_signTypedData_v4`` signs)."""
        message = {
            "from": to_checksum_address(self.sender),
            "to": to_checksum_address(self.to),
            "value": self.value,
            "gas": self.gas,
            "nonce": self.nonce,
            "deadline": self.deadline,
            "data": self.data,
        }
        return eip712.typed_data(domain, FORWARD_REQUEST_TYPES, "ForwardRequest", message)

    def sign(self, domain: Domain, private_key: bytes | str) -> bytes:
        """The sender's 65-byte signature of this request."""
        return eip712.signature(self.typed_data(domain), private_key)

    def signer(self, domain: Domain, signature: bytes) -> str:
        """Who signed `signature` over this request (the sender when it is genuine)."""
        return eip712.signer(self.typed_data(domain), signature)

    def execute_argument(self, signature: bytes) -> tuple[str, str, int, int, int, bytes, bytes]:
        """The forwarder's ``ForwardRequestData`` tuple for ``execute``/``verify`` (the nonce is
        not in it: the forwarder reads its own)."""
        return (
            to_checksum_address(self.sender),
            to_checksum_address(self.to),
            self.value,
            self.gas,
            self.deadline,
            self.data,
            signature,
        )


# ------------------------------------------------------------------ through Ape (tests, reports)


def signed_request(
    forwarder: Any, sender: Any, target: Any, data: bytes, gas: int, deadline: int
) -> tuple[ForwardRequest, bytes]:
    """`sender` (an account holding its key) signs a request for `target` to run `data` (the
    encoded call) with `gas`, valid until `deadline`, at its current forwarder nonce; returns the
    request and the signature `relay` sends."""
    request = ForwardRequest(
        sender=str(sender.address),
        to=str(getattr(target, "address", target)),
        data=bytes(data),
        gas=gas,
        nonce=int(forwarder.nonces(sender.address)),
        deadline=deadline,
    )
    domain = Domain.from_eip712_domain(forwarder.eip712Domain())
    return request, request.sign(domain, sender.private_key)


def relay(forwarder: Any, request: ForwardRequest, signature: bytes, relayer: Any) -> Any:
    """`relayer` sends a signed request through the forwarder (``execute``, which reverts when
    the call does) and pays the gas. Returns the receipt."""
    return forwarder.execute(request.execute_argument(signature), sender=relayer)


def signed_permit(
    token: Any, owner: Any, spender: Any, value: int, deadline: int
) -> tuple[int, bytes, bytes]:
    """(v, r, s) of `owner`'s EIP-2612 permit letting `spender` take `value` until `deadline`."""
    domain = Domain.from_eip712_domain(token.eip712Domain())
    spender_address = str(getattr(spender, "address", spender))
    data = eip712.permit(
        domain, str(owner.address), spender_address, value, int(token.nonces(owner.address)), deadline
    )
    return eip712.sign(data, owner.private_key)
