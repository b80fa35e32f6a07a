"""The sender never loses an accepted request and never sends one twice: a request accepted while
it is down is sent when it starts; a transaction recorded but never broadcast (a crash between
the two) is looked up by hash and the same bytes broadcast again; RPC failures are retried with
backoff; a request past its deadline
expires; one whose call reverts by the time it is sent fails, explained, without gas spent; one
reverted when mined (beaten to it in its block) fails with its revert explained; and
only one sender at a time holds the lease."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from sqlalchemy import select

from cmir.chain.errors import ConfigurationError, RpcUnavailableError
from cmir.dev.devchain import rpc
from cmir.store.relay import LEASES, SENDER_LEASE, release_lease
from tests.api.relay_world import ABEILLE, RelayWorld, api, relay_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RelayWorld]:
    with relay_world(tmp_path_factory.mktemp("sender")) as built:
        yield built


@pytest.fixture(scope="module")
def client(world: RelayWorld) -> Iterator[TestClient]:
    with api(world) as test_client:
        yield test_client


def accept(client: TestClient, body: dict[str, Any], path: str = "forward") -> int:
    response = client.post(f"/api/v1/relay/{path}", json=body)
    assert response.status_code == 202, response.text
    return int(response.json()["id"])


def status(client: TestClient, request_id: int) -> dict[str, Any]:
    found: dict[str, Any] = client.get(f"/api/v1/relay/requests/{request_id}").json()
    return found


def invite(world: RelayWorld, **fields: Any) -> dict[str, Any]:
    return world.forward(
        world.founders[0], "membership", "invite", Account.create().address, ABEILLE, **fields
    )


def test_a_request_accepted_while_the_sender_is_down_is_sent_when_it_starts(
    world: RelayWorld, client: TestClient
) -> None:
    request_id = accept(client, invite(world))
    world.travel(30)  # time passes, nobody sends
    assert status(client, request_id)["status"] == "accepted"
    world.send_all()  # the sender starts
    done = status(client, request_id)
    assert done["status"] == "confirmed" and done["attempts"] == 1


def test_a_transaction_recorded_but_not_broadcast_is_broadcast_again_not_resigned(
    world: RelayWorld, client: TestClient
) -> None:
    request_id = accept(client, invite(world))
    crashing = world.sender()
    real_call = crashing.client.call

    def no_broadcast(method: str, params: Any = (), **kwargs: Any) -> Any:
        if method == "eth_sendRawTransaction":
            raise RpcUnavailableError("the node went away")
        return real_call(method, params, **kwargs)

    crashing.client.call = no_broadcast  # type: ignore[method-assign]
    crashing.step()
    crashing.engine.dispose()
    recorded = status(client, request_id)
    assert recorded["status"] == "sent" and recorded["tx_hash"]
    assert rpc(world.url, "eth_getTransactionByHash", [recorded["tx_hash"]]) is None  # never broadcast
    assert world.contracts["forwarder"].functions.nonces(world.founders[0].address).call() == 1
    world.send_all()  # a restart, once the lease lapsed: looked up by hash, the same bytes broadcast
    done = status(client, request_id)
    assert done["status"] == "confirmed" and done["tx_hash"] == recorded["tx_hash"]
    assert world.contracts["forwarder"].functions.nonces(world.founders[0].address).call() == 2


def test_rpc_failures_are_retried_with_backoff(world: RelayWorld, client: TestClient) -> None:
    request_id = accept(client, invite(world))
    sender = world.sender()
    real_call, failures = sender.client.call, list[str]()

    def flaky(method: str, params: Any = (), **kwargs: Any) -> Any:
        if method == "eth_estimateGas" and len(failures) < 2:
            failures.append(method)
            raise RpcUnavailableError("connection refused")
        return real_call(method, params, **kwargs)

    sender.client.call = flaky  # type: ignore[method-assign]
    sender.step()
    retried = status(client, request_id)
    assert retried["status"] == "accepted" and retried["explanation"] == "RPC: connection refused"
    sender.run(once=True)  # waits out the backoff, fails once more, then sends
    sender.engine.dispose()
    done = status(client, request_id)
    assert len(failures) == 2 and done["status"] == "confirmed" and done["explanation"] is None


def test_a_request_past_its_deadline_expires_unsent(world: RelayWorld, client: TestClient) -> None:
    budget = f"/api/v1/relay/budget/{world.founders[0].address}"
    before = client.get(budget).json()
    request_id = accept(client, invite(world, deadline=world.now() + 120))
    world.travel(300)
    world.send_all()
    expired = status(client, request_id)
    assert expired["status"] == "expired" and expired["tx_hash"] is None
    assert expired["explanation"] == "its deadline passed before it could be sent"
    after = client.get(budget).json()  # an expired request costs nothing
    assert (after["requests_used"], after["gas_used"]) == (before["requests_used"], before["gas_used"])


def test_a_request_that_would_revert_when_sent_fails_explained_without_gas(
    world: RelayWorld, client: TestClient
) -> None:
    pilote, invitee = world.founders[0], Account.create().address
    request_id = accept(client, world.forward(pilote, "membership", "invite", invitee, ABEILLE))
    world.transact("membership", "invite", invitee, ABEILLE, sender=pilote)  # done directly meanwhile
    world.send_all()
    failed = status(client, request_id)
    assert failed["status"] == "failed" and failed["tx_hash"] is None
    assert failed["error"] == "MembershipAlreadyInvited"
    assert str(failed["explanation"]).startswith("MembershipAlreadyInvited(invitee=")


def test_a_transaction_reverted_when_mined_fails_with_its_revert_explained(
    world: RelayWorld, client: TestClient
) -> None:
    pilote, invitee = world.founders[0], Account.create().address
    request_id = accept(client, world.forward(pilote, "membership", "invite", invitee, ABEILLE))
    rpc(world.url, "evm_setAutomine", [False])
    try:
        sender = world.sender()
        sender.step()  # simulated on the latest block (fine), signed, sent: waiting in the pool
        assert status(client, request_id)["status"] == "sent"
        membership = world.contracts["membership"]
        membership.functions.invite(invitee, ABEILLE).transact(
            {"from": pilote.address, "maxPriorityFeePerGas": 50 * 10**9, "maxFeePerGas": 100 * 10**9}
        )  # the same invitation sent directly, paying more: mined first, in the same block
        rpc(world.url, "evm_mine")
    finally:
        rpc(world.url, "evm_setAutomine", [True])
    sender.run(once=True)
    sender.engine.dispose()
    failed = status(client, request_id)
    assert failed["status"] == "failed" and failed["tx_hash"] and failed["gas_used"] > 0
    assert failed["error"] == "MembershipAlreadyInvited"
    assert str(failed["explanation"]).startswith(f"MembershipAlreadyInvited(invitee={invitee.lower()}, ")


def test_cmir_relay_sends_with_the_operators_keyfile(
    world: RelayWorld, client: TestClient, tmp_path: Path
) -> None:
    request_id = accept(client, invite(world))
    keyfile, password = tmp_path / "operator.json", tmp_path / "password.txt"
    keyfile.write_text(
        json.dumps(Account.encrypt(world.operator.key, "secret", kdf="pbkdf2", iterations=2048))
    )
    password.write_text("secret\n")
    env = {
        **os.environ,
        "CMIR_DATABASE_URL": world.db_url,
        "CMIR_RPC_URL": world.url,
        "CMIR_DEPLOYMENT_FILE": str(world.record),
        "CMIR_RELAY_POLL_INTERVAL": "0.1",
    }
    command = ["relay", "--keyfile", str(keyfile), "--password-file", str(password), "--once"]
    done = subprocess.run(  # noqa: S603 - this interpreter, our own command
        [sys.executable, "-m", "cmir.apps.cli", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"relaying as {world.operator.address}" in done.stderr
    assert status(client, request_id)["status"] == "confirmed"


def test_one_sender_at_a_time(world: RelayWorld) -> None:
    first, second = world.sender(), world.sender()
    try:
        assert first._lease()
        assert not second._lease()
        assert first._lease()  # renewed by its holder
    finally:
        for sender in (first, second):
            with sender.engine.begin() as connection:
                release_lease(connection, sender.holder)
            sender.engine.dispose()


def test_once_refuses_while_a_live_sender_holds_the_lease(world: RelayWorld) -> None:
    """`cmir relay --once` beside a running sender (make up's, which renews its lease) says so and
    stops once a whole lease period has passed, sending nothing; a crashed sender's lease, which
    nobody renews, it takes over (`test_a_transaction_recorded_but_not_broadcast_...`)."""
    running, drained = world.sender(), world.sender()
    stop = threading.Event()
    thread = threading.Thread(target=running.run, args=(stop,), daemon=True)
    try:
        thread.start()
        deadline = time.monotonic() + 60
        while holder(running) != running.holder:  # the live sender has taken the lease
            assert thread.is_alive() and time.monotonic() < deadline, "the sender never took the lease"
            time.sleep(0.05)
        with pytest.raises(ConfigurationError, match="another sender holds the relayer's lease"):
            drained.run(once=True)
        assert holder(running) == running.holder
    finally:
        stop.set()
        thread.join(timeout=60)
        for sender in (running, drained):
            with sender.engine.begin() as connection:
                release_lease(connection, sender.holder)
            sender.engine.dispose()


def holder(sender: Any) -> str | None:
    """Who holds the sender's lease now, read from the database."""
    with sender.engine.connect() as connection:
        found = connection.execute(select(LEASES.c.holder).where(LEASES.c.name == SENDER_LEASE)).scalar()
    return None if found is None else str(found)
