"""The relayer's sender: it holds the operator's key and sends the requests the API accepted, in
order, paying their gas.

For each accepted request: past its deadline it is ``expired``; otherwise it is simulated once
more (a request whose call would now revert is ``failed`` with the revert explained, and costs
nothing), the operator's transaction is signed, and its hash and raw bytes are **committed
before** it is broadcast (``sent``). Then its receipt is looked for: ``confirmed`` with the gas
used, or ``failed`` with the revert explained (replayed on the state before its block).

On a restart nothing is lost or sent twice: an ``accepted`` request is sent as above; a ``sent``
one is looked up by its hash, and only when the node does not know it is the *same* signed
transaction broadcast again (same operator nonce: it can be mined once at most). RPC failures
are retried with backoff. One sender at a time holds the lease (`cmir.store.relay.take_lease`):
a second one waits, so several `cmir relay` processes never race on the operator's nonces; and
the forwarder and the Governor spend the member's nonce, so no request can run twice anyway.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils.address import to_checksum_address
from sqlalchemy import Engine, inspect, select

from cmir.chain.calls import Caller, RevertError
from cmir.chain.deployment import Deployment
from cmir.chain.errors import ConfigurationError, RpcError, RpcResponseError
from cmir.chain.forwarder import ForwardRequest
from cmir.chain.rpc import RpcClient
from cmir.chain.settings import RelayerSettings
from cmir.store.relay import (
    ACCEPTED,
    CONFIRMED,
    EXPIRED,
    FAILED,
    REQUESTS,
    SENT,
    release_lease,
    take_lease,
    update_request,
)

log = logging.getLogger(__name__)

VOTE_FUNCTION = "castVoteWithReasonAndParamsBySig"
#: Node answers to a broadcast meaning the transaction is already there (or was mined).
ALREADY_KNOWN = ("already known", "known transaction", "already imported")
NONCE_TOO_LOW = ("nonce too low", "nonce is too low", "oldnonce")
DEFAULT_TIP = 10**9  # 1 gwei, when the node has no eth_maxPriorityFeePerGas


def _now() -> int:
    return int(time.time())


class Sender:
    """Sends the accepted requests of one deployment with `account` (the operator's key)."""

    def __init__(
        self,
        settings: RelayerSettings,
        deployment: Deployment,
        account: LocalAccount,
        engine: Engine,
        *,
        client: RpcClient | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.settings = settings
        self.deployment = deployment
        self.account = account
        self.engine = engine
        self.client = client or RpcClient(settings.rpc_url, timeout=settings.rpc_timeout, max_retries=2)
        self.caller = Caller(self.client, deployment)
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._sleep = sleep
        self._next_try: dict[int, float] = {}
        self._failures: dict[int, int] = {}
        self._rng = random.Random()  # noqa: S311 (jitter)
        for role in ("forwarder", "governor"):
            if role not in deployment.contracts:
                raise ConfigurationError(f"the deployment record has no {role}: nothing to relay through")
        with engine.connect() as connection:
            if not inspect(connection).has_table("relay_requests"):
                raise ConfigurationError(
                    "the database has no relay_requests table: run the indexer once (it migrates the schema)"
                )

    # -- the loop

    def run(self, stop: threading.Event | None = None, once: bool = False) -> None:
        """Send until `stop` is set (or, `once`, until nothing is left to do now)."""
        stop = stop or threading.Event()
        log.info("relayer %s sending as %s", self.holder, self.account.address)
        waited_since: float | None = None
        try:
            while not stop.is_set():
                if not self._lease():
                    # A crashed sender's lease lapses and is taken over; one still renewed after a
                    # whole lease period belongs to a live sender, which sends the pending
                    # requests itself: draining them is then not this sender's job.
                    waited_since = time.monotonic() if waited_since is None else waited_since
                    if once and time.monotonic() - waited_since > self.settings.relay_lease_seconds:
                        raise ConfigurationError(
                            "another sender holds the relayer's lease (make up's, say): it sends the "
                            "pending requests; --once sent nothing"
                        )
                    log.info("another sender holds the lease; waiting")
                    stop.wait(self.settings.relay_poll_interval)
                    continue
                busy = self.step()
                if once and not busy:
                    return
                stop.wait(self.settings.relay_poll_interval if not busy else 0.05)
        finally:
            with self.engine.begin() as connection:
                release_lease(connection, self.holder)

    def _lease(self) -> bool:
        with self.engine.begin() as connection:
            return take_lease(connection, self.holder, self.settings.relay_lease_seconds)

    def step(self) -> int:
        """One pass: receipts of sent requests, then accepted ones in order. Returns how many
        requests are still on their way (0: nothing to do now)."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(REQUESTS)
                .where(
                    REQUESTS.c.chain_id == self.deployment.chain_id, REQUESTS.c.status.in_((SENT, ACCEPTED))
                )
                .order_by(REQUESTS.c.id)
            ).all()
        pending = 0
        for row in rows:
            if self._next_try.get(row.id, 0.0) > time.monotonic():
                pending += 1
                continue
            if not self._lease():  # lost it (a long pause): the next holder goes on
                return pending + 1
            try:
                status = self._check_sent(row) if row.status == SENT else self._send(row)
            except RpcError as exc:
                status = self._transient(row, exc)
            if status in (SENT, ACCEPTED):
                pending += 1
        return pending

    def _transient(self, row: Any, exc: Exception) -> str:
        """An RPC failure: retried later with backoff (the request keeps its status)."""
        failures = self._failures.get(row.id, 0) + 1
        self._failures[row.id] = failures
        ceiling = min(self.settings.relay_backoff_max, self.settings.relay_backoff_base * 2 ** (failures - 1))
        self._next_try[row.id] = time.monotonic() + ceiling / 2 + self._rng.uniform(0, ceiling / 2)
        with self.engine.begin() as connection:
            update_request(connection, row.id, last_error=f"RPC: {exc}"[:500])
        log.warning("request %s: %s (retry %d)", row.id, exc, failures)
        return str(row.status)

    def _finish(self, row: Any, status: str, **values: Any) -> str:
        with self.engine.begin() as connection:
            update_request(connection, row.id, status=status, finished_at=_now(), **values)
        self._next_try.pop(row.id, None)
        self._failures.pop(row.id, None)
        log.info("request %s %s %s", row.id, status, values.get("last_error") or values.get("tx_hash") or "")
        return status

    # -- building the call

    def call_of(self, row: Any) -> tuple[str, bytes]:
        """(contract, calldata) the operator's transaction makes for `row`."""
        signature = bytes.fromhex(row.signature[2:])
        request = row.request
        if row.kind == "vote":
            data = self.caller.encode(
                "governor",
                VOTE_FUNCTION,
                int(request["proposal_id"]),
                int(request["support"]),
                to_checksum_address(request["voter"]),
                str(request["reason"]),
                b"",
                signature,
            )
            return self.caller.address("governor"), data
        forward = self.forward_request(row)
        data = self.caller.encode("forwarder", "execute", forward.execute_argument(signature))
        return self.caller.address("forwarder"), data

    @staticmethod
    def forward_request(row: Any) -> ForwardRequest:
        """The stored forward request, as signed."""
        r = row.request
        return ForwardRequest(
            sender=r["from"],
            to=r["to"],
            data=bytes.fromhex(r["data"][2:]),
            gas=int(r["gas"]),
            nonce=int(r["nonce"]),
            deadline=int(r["deadline"]),
            value=int(r["value"]),
        )

    def explain(self, row: Any, exc: RevertError, block: int | str = "latest") -> RevertError:
        """The most telling revert of `row`: a forwarded call's own error (the forwarder only
        says the call failed), replayed as the forwarder makes it; else `exc`."""
        if row.kind != "forward":
            return exc
        forward = self.forward_request(row)
        inner = forward.data + bytes.fromhex(forward.sender[2:])
        try:
            self.caller.raw_call(forward.to, inner, sender=self.caller.address("forwarder"), block=block)
        except RevertError as inner_exc:
            return inner_exc
        return exc

    # -- sending

    def _send(self, row: Any) -> str:
        if row.deadline <= self.caller.chain_time():
            return self._finish(row, EXPIRED, last_error="its deadline passed before it could be sent")
        to, data = self.call_of(row)
        try:
            estimate = self.caller.estimate(to, data, self.account.address)
        except RevertError as exc:
            found = self.explain(row, exc)
            return self._finish(row, FAILED, error_name=found.error or "revert", last_error=found.explanation)
        block = self.client.call("eth_getBlockByNumber", ["latest", False])
        base_fee = int(block.get("baseFeePerGas") or "0x0", 16)
        try:
            tip = int(self.client.call("eth_maxPriorityFeePerGas"), 16)
        except RpcResponseError:
            tip = DEFAULT_TIP
        nonce = int(self.client.call("eth_getTransactionCount", [self.account.address, "pending"]), 16)
        transaction: dict[str, Any] = {
            "type": 2,
            "chainId": self.deployment.chain_id,
            "nonce": nonce,
            "to": to,
            "data": data,
            "value": 0,
            "gas": estimate * 13 // 10 + 10_000,
            "maxPriorityFeePerGas": tip,
            "maxFeePerGas": 2 * base_fee + tip,
        }
        signed = self.account.sign_transaction(transaction)
        raw = "0x" + bytes(signed.raw_transaction).hex()
        tx_hash = "0x" + bytes(signed.hash).hex()
        with self.engine.begin() as connection:  # committed before it is broadcast
            update_request(
                connection,
                row.id,
                status=SENT,
                tx_hash=tx_hash,
                raw_tx=raw,
                tx_nonce=nonce,
                sent_at=_now(),
                attempts=row.attempts + 1,
                last_error=None,
            )
        log.info("request %s sent: %s (%s)", row.id, tx_hash, row.function)
        return self._broadcast(row, raw, fresh=True)

    def _broadcast(self, row: Any, raw: str, fresh: bool) -> str:
        """Broadcast `raw`; a node that already has it is fine. When the operator's nonce was
        taken by another transaction, a fresh request goes back to ``accepted`` (signed again)."""
        try:
            self.client.call("eth_sendRawTransaction", [raw])
        except RpcResponseError as exc:
            message = exc.rpc_message.lower()
            if any(word in message for word in ALREADY_KNOWN):
                return SENT
            if any(word in message for word in NONCE_TOO_LOW):
                if fresh:
                    with self.engine.begin() as connection:
                        update_request(
                            connection, row.id, status=ACCEPTED, tx_hash=None, raw_tx=None, tx_nonce=None
                        )
                    return ACCEPTED
                return SENT  # mined, or replaced: the receipt (or its absence) says which
            attempts = row.attempts + 1
            if attempts >= self.settings.relay_max_attempts:
                return self._finish(
                    row, FAILED, error_name="rejected", last_error=f"the node refused it: {exc.rpc_message}"
                )
            with self.engine.begin() as connection:
                update_request(
                    connection,
                    row.id,
                    attempts=attempts,
                    last_error=f"the node refused it: {exc.rpc_message}",
                )
            raise
        return SENT

    def _check_sent(self, row: Any) -> str:
        receipt = self.client.call("eth_getTransactionReceipt", [row.tx_hash])
        if receipt is not None:
            return self._receipt(row, receipt)
        known = self.client.call("eth_getTransactionByHash", [row.tx_hash])
        waited = _now() - (row.sent_at or 0)
        if known is not None and waited < self.settings.relay_receipt_timeout:
            return SENT
        operator_nonce = int(
            self.client.call("eth_getTransactionCount", [self.account.address, "latest"]), 16
        )
        if known is None and row.tx_nonce is not None and operator_nonce > row.tx_nonce:
            # its nonce was used by another transaction and this one is gone: sign it again
            if row.deadline <= self.caller.chain_time():
                return self._finish(row, EXPIRED, last_error="its deadline passed before it could be sent")
            with self.engine.begin() as connection:
                update_request(connection, row.id, status=ACCEPTED, tx_hash=None, raw_tx=None, tx_nonce=None)
            return ACCEPTED
        log.info("request %s: %s not mined after %d s; broadcasting it again", row.id, row.tx_hash, waited)
        with self.engine.begin() as connection:
            update_request(connection, row.id, attempts=row.attempts + 1, sent_at=_now())
        return self._broadcast(row, row.raw_tx, fresh=False)

    def _receipt(self, row: Any, receipt: dict[str, Any]) -> str:
        block = int(receipt["blockNumber"], 16)
        gas_used = int(receipt["gasUsed"], 16)
        if int(receipt["status"], 16) == 1:
            return self._finish(row, CONFIRMED, block_number=block, gas_used=gas_used, last_error=None)
        # Replayed on the state its block left (what reverted it came before it, often in the
        # same block; the member's nonce was not spent, so the call fails again the same way).
        found: RevertError | None = None
        to, data = self.call_of(row)
        try:
            self.caller.raw_call(to, data, sender=self.account.address, block=block)
        except RevertError as exc:
            found = self.explain(row, exc, block)
        except RpcError:
            found = None
        return self._finish(
            row,
            FAILED,
            block_number=block,
            gas_used=gas_used,
            error_name=(found.error or "revert") if found else "revert",
            last_error=found.explanation if found else "the transaction reverted when it was mined",
        )
