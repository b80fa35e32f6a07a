"""`cmir audit --api` over the money that left the pool, on a `make up` stack: a doctored claim
or collective spend (the tables behind `/flows`, the Sankey graph and a member's claims) makes
the audit exit 1 and name the flow and the field."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import Stack
from tests.e2e.tamper import assert_caught, audit_api, row, tampered

pytestmark = pytest.mark.e2e

OTHER = "0x000000000000000000000000000000000000dEaD"


def test_a_claims_amount_is_named(stack: Stack) -> None:
    claim = row(stack, "SELECT tx_hash, log_index, amount FROM claims ORDER BY block_number DESC LIMIT 1")
    where = {"tx_hash": claim["tx_hash"], "log_index": claim["log_index"]}
    doctored = int(claim["amount"]) + 1_000_000
    with tampered(stack, "claims", where, {"amount": str(doctored)}):
        done = audit_api(stack)
    assert_caught(
        done,
        f"flow {claim['tx_hash']}:{claim['log_index']} (claim",
        f"API {doctored} != chain {claim['amount']}",
    )


def test_a_collective_spends_recipient_and_memo_are_named(stack: Stack) -> None:
    spend = row(stack, "SELECT tx_hash, log_index, recipient, memo FROM collective_spends LIMIT 1")
    where = {"tx_hash": spend["tx_hash"], "log_index": spend["log_index"]}
    with tampered(stack, "collective_spends", where, {"recipient": OTHER, "memo": "détourné"}):
        done = audit_api(stack)
    flow = f"flow {spend['tx_hash']}:{spend['log_index']} (collective_spend"
    assert_caught(done, flow, "recipient", OTHER.lower())
    assert_caught(done, flow, "memo: API détourné")
