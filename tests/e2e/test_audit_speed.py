"""The auditor's fast paths read exactly what the slow ones read: every event of the deployment's
ABIs decoded from its hex text as eth_abi decodes it; views through Multicall3 (on chain, or as a
state override) as through plain JSON-RPC batches, a reverting view an error either way. And the
audit benchmark's generated network (`cmir.dev.bench.audit`, here at its smallest) leaves proposals
in every state and reconciles."""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from cmir.audit import multicall
from cmir.audit.chain import AuditError, Contract, Rpc, canonical
from cmir.audit.ledger import build, load_contracts
from cmir.dev.devchain import Anvil, deploy_founders, rpc

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ROLES = {
    "pool": "Redistribution",
    "membership": "Membership",
    "registry": "EssProjectRegistry",
    "governor": "CmirGovernor",
    "timelock": "CmirTimelock",
}


def _value(kind: str, components: list[dict[str, Any]], rng: random.Random) -> Any:
    """A random value of an ABI type, as eth_abi encodes it."""
    if kind.endswith("[]"):
        return [_value(kind[:-2], components, rng) for _ in range(rng.randint(0, 3))]
    if kind == "tuple":
        return tuple(_value(c["type"], c.get("components", []), rng) for c in components)
    if kind == "address":
        return "0x" + rng.randbytes(20).hex()
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "string":
        return rng.choice(["", "D'accord.", "Pour, à condition d'un bilan 🌱", "x" * 70])
    if kind == "bytes":
        return rng.randbytes(rng.choice((0, 4, 36, 100)))
    if kind.startswith("bytes"):
        return rng.randbytes(int(kind[5:]))
    bits = int(kind.lstrip("uint") or 256)
    if kind.startswith("int"):
        return rng.randrange(-(2 ** (bits - 1)), 2 ** (bits - 1))
    return rng.randrange(0, 2**bits) if rng.random() < 0.5 else rng.randrange(0, min(1000, 2**bits))


def test_every_event_decodes_as_eth_abi_decodes_it() -> None:
    types = json.loads((ROOT / ".build" / "__local__.json").read_text())["contractTypes"]
    rng = random.Random(12)  # noqa: S311 (test values)
    checked = 0
    for role, name in ROLES.items():
        contract = Contract(role, "0x" + "11" * 20, types[name]["abi"])
        for topic, entry in contract.events.items():
            layout = contract._layouts["0x" + topic.hex()]
            for _ in range(20):
                values = [_value(i["type"], i.get("components", []), rng) for i in entry["inputs"]]
                indexed = [(i, v) for i, v in zip(entry["inputs"], values, strict=True) if i.get("indexed")]
                plain = [(i, v) for i, v in zip(entry["inputs"], values, strict=True) if not i.get("indexed")]
                topics = ["0x" + topic.hex()]
                for item, value in indexed:
                    static = item["type"] not in ("string", "bytes") and not item["type"].endswith("]")
                    raw = (
                        encode([canonical(item)], [value])
                        if static
                        else keccak(encode([canonical(item)], [value]))
                    )
                    topics.append("0x" + raw.hex())
                data = "0x" + encode([canonical(i) for i, _ in plain], [v for _, v in plain]).hex()
                log = {"topics": topics, "data": data, "blockNumber": "0x1", "logIndex": "0x0"}
                log |= {"transactionHash": "0x" + "ab" * 32, "address": contract.address}
                event = contract.decode_log(log)
                assert event is not None and event.name == entry["name"]
                assert event.args == Contract._slow_args(layout, topics, data), entry["name"]
                checked += 1
    assert checked > 500


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    anvil = Anvil("--prune-history")
    try:
        record = tmp_path_factory.mktemp("speed") / "deployment.json"
        deploy_founders(anvil.url, record, timeout=300)
        yield anvil.url, record
    finally:
        anvil.stop()


def _views(url: str, record: Path, mode: str) -> list[str]:
    os.environ["CMIR_AUDIT_MULTICALL"] = mode
    try:
        client = Rpc(url)
        block = int(client.call("eth_blockNumber", []), 16)
        contracts = load_contracts(json.loads(record.read_text()))
        accounts = [str(a) for a in rpc(url, "eth_accounts")[:8]]
        calls = [
            (contracts[role].address, contracts[role].encode_call(name, *args))
            for who in accounts
            for role, name, args in (
                ("membership", "memberOf", (who,)),
                ("membership", "invitationsAvailable", (who,)),
                ("pool", "memberPoints", (who,)),
                ("pool", "claimableOf", (who,)),
            )
        ] * 80  # more than one Multicall3 call
        calls.append((contracts["pool"].address, contracts["pool"].encode_call("totals")))
        answers = client.eth_calls(calls, block)
        assert client.multicall_mode(block) == {"0": "plain", "override": "override"}.get(mode, "deployed")
        reverting = [(contracts["registry"].address, contracts["registry"].encode_call("projectOf", 99))]
        with pytest.raises(AuditError, match="revert"):
            client.eth_calls(calls[:3] + reverting, block)
        return answers
    finally:
        del os.environ["CMIR_AUDIT_MULTICALL"]


def test_views_read_the_same_through_multicall_or_batches(chain: tuple[str, Path]) -> None:
    url, record = chain
    plain = _views(url, record, "0")
    assert _views(url, record, "override") == plain
    rpc(url, "anvil_setCode", [multicall.ADDRESS, multicall.CODE])
    assert _views(url, record, "auto") == plain
    ledger = build(Rpc(url), record)
    assert ledger.ok, [c for c in ledger.checks if not c.ok]


def test_the_generated_network_ends_in_every_state_and_reconciles(tmp_path: Path) -> None:
    from cmir.dev.bench.audit import AuditPlan, build_audit_chain, serve_audit_chain

    plan = AuditPlan(members=60, relations=1_000, proposals=45, blocks=1_200)
    chain, summary = build_audit_chain(plan, cache=tmp_path, report=False)
    states = set(summary["states"])
    assert {
        "Pending",
        "Active",
        "Canceled",
        "Defeated",
        "Succeeded",
        "Queued",
        "Expired",
        "Executed",
    } <= states
    assert summary["members_excluded"] and summary["members_admitted"] == 2 and summary["relations"] == 1_000
    with serve_audit_chain(chain) as anvil:
        ledger = build(Rpc(anvil.url), chain.record)
    assert ledger.ok, [c for c in ledger.checks if not c.ok]
    assert ledger.event_count == chain.events
