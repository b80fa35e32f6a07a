"""What the relayer checks on chain before it accepts a member's signed request: the domains and
nonces of the forwarder and the Governor, membership and invitations, the forwarder's own
``verify``, and a simulation of the call that turns a revert into the CLI's sentence.

Every refusal is a `RefusalError` (an `ApiError` with its HTTP status, and for a simulated revert the
custom error's name and its explanation); the router turns it into a JSON body."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.messages import encode_typed_data
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from cmir.api.errors import ApiError
from cmir.chain.abi import AbiRegistry
from cmir.chain.calls import Caller, RevertError
from cmir.chain.eip712 import Domain
from cmir.chain.errors import RpcError

#: The member actions relayed through the forwarder, by the contract role that holds them.
ALLOWED = {
    "pool": ("payRelation", "payRelationWithPermit", "contribute", "claim"),
    "membership": ("invite", "acceptInvitation", "acceptInvitationWithPermit"),
    "registry": ("registerProject", "updateProject"),
    "governor": ("propose",),
}
#: Actions an invitee (not a member yet) may have relayed: accepting its invitation.
INVITEE_ACTIONS = ("acceptInvitation", "acceptInvitationWithPermit")
VOTE_FUNCTION = "castVoteWithReasonAndParamsBySig"


class RefusalError(ApiError):
    """A request the relayer refuses: `status_code` its HTTP status; `error` and `explanation`
    when a simulation reverted; `retry_after` seconds for a budget refusal."""

    def __init__(
        self,
        status: int,
        detail: str,
        error: str | None = None,
        explanation: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(detail)
        self.status_code = status
        self.error = error
        self.explanation = explanation
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        """The JSON body: ``detail``, and the custom error and its sentence when there is one."""
        body: dict[str, Any] = {"detail": self.detail}
        if self.error is not None or self.explanation is not None:
            body.update(error=self.error, explanation=self.explanation)
        return body


def reverted(what: str, exc: RevertError) -> RefusalError:
    """422 for a simulated revert: the custom error and the CLI's sentence."""
    name = exc.error or "revert"
    return RefusalError(422, f"{what} would revert: {exc.explanation}", name, exc.explanation)


def digest(typed: dict[str, Any]) -> str:
    """The EIP-712 hash of typed data (what the signer signed; unique per request)."""
    message = encode_typed_data(full_message=typed)
    return "0x" + keccak(b"\x19" + message.version + message.header + message.body).hex()


@dataclass(frozen=True)
class Target:
    """The decoded call of a forward request: contract role, function and arguments."""

    role: str
    function: str
    args: dict[str, Any]


class ChainChecks:
    """The on-chain side of the relayer's checks, through `caller`."""

    def __init__(self, caller: Caller) -> None:
        self.caller = caller
        self.registry = AbiRegistry(caller.deployment)
        self._domains: dict[str, Domain] = {}

    def _read(self, role: str, name: str, *args: Any) -> tuple[Any, ...]:
        try:
            return self.caller.call(role, name, *args)
        except RevertError as exc:
            raise RefusalError(503, f"cannot read {role}.{name}: {exc.explanation}") from None
        except RpcError as exc:
            raise RefusalError(503, f"the chain cannot be read now ({type(exc).__name__})") from None

    def domain(self, role: str) -> Domain:
        """The EIP-712 domain of the contract of `role`, read once from ``eip712Domain()``."""
        if role not in self._domains:
            self._domains[role] = Domain.from_eip712_domain(self._read(role, "eip712Domain"))
        return self._domains[role]

    def now(self) -> int:
        """The chain's clock (the latest block's timestamp)."""
        try:
            return self.caller.chain_time()
        except RpcError as exc:
            raise RefusalError(503, f"the chain cannot be read now ({type(exc).__name__})") from None

    def nonce(self, role: str, account: str) -> int:
        """``nonces(account)`` of the forwarder or the Governor."""
        return int(self._read(role, "nonces", account)[0])

    def target(self, to: str, data: bytes) -> Target:
        """The member action a forward request calls; 422 unless it is on the allowlist."""
        decoded = self.registry.decode_call(to, "0x" + data.hex())
        role = decoded.get("contract")
        if role not in ALLOWED:
            raise RefusalError(422, f"unknown target {to}: not a CMIR contract the relayer calls")
        if not decoded.get("decoded"):
            raise RefusalError(422, f"unknown function {decoded.get('selector')} on the {role} contract")
        function = str(decoded["function"])
        if function not in ALLOWED[role]:
            allowed = ", ".join(ALLOWED[role])
            raise RefusalError(
                422, f"function {function} of the {role} contract is not relayed (member actions: {allowed})"
            )
        return Target(str(role), function, dict(decoded["args"]))

    def check_member(self, account: str, target: Target | None, now: int) -> None:
        """403 unless `account` is an active member, or, to accept an invitation, an invitee whose
        invitation from the sponsor it names is live."""
        if bool(self._read("membership", "isActiveMember", account)[0]):
            return
        if target is not None and target.function in INVITEE_ACTIONS:
            sponsor = to_checksum_address(str(target.args.get("sponsor")))
            invitation = self._read("membership", "invitationOf", account, sponsor)[0]
            expires_at = int(invitation[2])
            if expires_at > now:
                return
            raise RefusalError(
                403, f"{account} has no live invitation from {sponsor}: the relayer pays for members"
            )
        raise RefusalError(403, f"{account} is not an active member: the relayer pays for members only")

    def verify_forward(self, argument: tuple[Any, ...]) -> None:
        """422 unless the forwarder's ``verify`` accepts the request (signature, nonce, deadline,
        a target that trusts it)."""
        if not bool(self._read("forwarder", "verify", argument)[0]):
            raise RefusalError(
                422, "the forwarder's verify() refuses this request (signature, nonce or deadline)"
            )

    def simulate_forward(
        self, target_address: str, data: bytes, signer: str, argument: tuple[Any, ...]
    ) -> int:
        """Simulate the call as the forwarder makes it (the signer appended, ERC-2771), then
        ``execute`` itself; returns the gas ``execute`` needs. 422 with the custom error when the
        call reverts."""
        forwarder = self.caller.address("forwarder")
        inner = data + bytes.fromhex(signer[2:])
        try:
            self.caller.raw_call(target_address, inner, sender=forwarder)
            execute = self.caller.encode("forwarder", "execute", argument)
            return self.caller.estimate(forwarder, execute, signer)
        except RevertError as exc:
            raise reverted("the call", exc) from None
        except RpcError as exc:
            raise RefusalError(
                503, f"the chain cannot simulate the call now ({type(exc).__name__})"
            ) from None

    def simulate_vote(self, arguments: tuple[Any, ...], voter: str) -> int:
        """Estimate ``castVoteWithReasonAndParamsBySig`` (the gas it needs); 422 when it reverts."""
        data = self.caller.encode("governor", VOTE_FUNCTION, *arguments)
        try:
            return self.caller.estimate(self.caller.address("governor"), data, voter)
        except RevertError as exc:
            raise reverted("the vote", exc) from None
        except RpcError as exc:
            raise RefusalError(
                503, f"the chain cannot simulate the vote now ({type(exc).__name__})"
            ) from None

    def proposal_deadline(self, proposal_id: int) -> int:
        """When voting on `proposal_id` closes (the Governor's timestamp clock); 422 when unknown."""
        try:
            return int(self.caller.call("governor", "proposalDeadline", proposal_id)[0])
        except RevertError as exc:
            raise reverted("reading the proposal", exc) from None
        except RpcError as exc:
            raise RefusalError(503, f"the chain cannot be read now ({type(exc).__name__})") from None
