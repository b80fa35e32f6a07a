"""The pool's figures (``/pool``, ``/social-utility``) and every flow (``/flows``, by transaction
hash and log index) against the ledger (`cmir.audit.ledger`), at the block the API holds.
A figure the API does not serve is not compared; one it serves differently is a difference."""

from __future__ import annotations

from typing import Any

from cmir.audit.api import snapshot
from cmir.audit.compare import Difference, number, seconds, units
from cmir.audit.ledger import Flow, Ledger
from cmir.audit.scope import ResourceResult, Scope


def check(scope: Scope) -> list[ResourceResult]:
    """The pool's figures and its flows (the ledger's identities are its chain-side checks, printed
    apart)."""
    ledger = scope.ledger
    figures = ResourceResult("pool figures", checked=1)
    flows = ResourceResult("flows", checked=len(ledger.flows))
    if scope.api is None:
        return [figures, flows]
    block, block_hash, pool, social = snapshot(scope.api)
    if block_hash and block_hash.lower() != ledger.block_hash.lower():
        figures.differences.append(Difference(f"hash of block {block}", block_hash, ledger.block_hash))
    figures.differences += compare_figures(ledger, pool, social)
    flows.differences = compare_flows(ledger, scope.api.items("/flows", to_block=ledger.block))
    return [figures, flows]


def _addr(value: str | None) -> str | None:
    return value.lower() if value else None


def compare_figures(ledger: Ledger, pool: dict[str, Any], social: dict[str, Any]) -> list[Difference]:
    """Each figure of the pool and social-utility responses against the ledger; the epoch, the
    matured and pending points and the members' part that went to ESS when the API serves them."""
    s = ledger.sums
    expected: dict[str, int] = {
        "total_received": s["total_received"],
        "total_out": s["total_out"],
        "balance": s["balance"],
        "buckets.members.received": s["members_received"],
        "buckets.members.spent": s["rewards_claimed"],
        "buckets.members.available": s["members_available"],
        "buckets.ess.received": s["ess_received"],
        "buckets.ess.spent": s["ess_disbursed"],
        "buckets.ess.available": s["ess_available"],
        "buckets.collective.received": s["collective_received"],
        "buckets.collective.spent": s["collective_spent"],
        "buckets.collective.available": s["collective_available"],
    }
    differences = []
    for path, chain_value in expected.items():
        node: Any = pool
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        api_value = units(node) if isinstance(node, dict) else node
        if api_value != chain_value:
            differences.append(Difference(f"pool {path}", api_value, chain_value))
    for name, chain_value in (("inflow_count", s["inflow_count"]), ("relation_count", s["relation_count"])):
        api_value = pool.get(name)
        if api_value is None or int(api_value) != chain_value:
            differences.append(Difference(f"pool {name}", api_value, chain_value))
    v = ledger.views
    served: dict[str, int | None] = {
        "total_points": s["total_points"],
        "matured_points": s["matured_points"],
        "pending_points": s["pending_points"],
        "epoch": s["epoch"],
        "members_to_ess": s["members_to_ess"],
        "epoch_length": v["epoch_clock"]["length"],
        "epoch_ends_at": ledger.clock.epoch_end(s["epoch"]) if ledger.clock else None,
        "epoch_reward_cap_bps": v["epoch_reward_cap_bps"],
        "max_epoch_reward_cap_bps": v["max_epoch_reward_cap_bps"],
        "parties_min_share_bps": v["parties_min_share_bps"],
    }
    for name, on_chain in served.items():
        if pool.get(name) is None:
            continue
        api_value = seconds(pool[name]) if name == "epoch_ends_at" else number(pool[name])
        if api_value != on_chain:
            differences.append(Difference(f"pool {name}", api_value, on_chain))
    for name, numerator in (("disbursed_ratio", s["ess_disbursed"]), ("allocated_ratio", s["ess_received"])):
        ratio = social.get(name) or {}
        got = (units(ratio.get("numerator")), units(ratio.get("denominator")))
        if got != (numerator, s["total_received"]):
            differences.append(Difference(f"social-utility {name}", got, (numerator, s["total_received"])))
    return differences


#: Figures of an inflow compared only when the API's flow carries them.
OPTIONAL_FLOW_FIELDS = ("epoch", "members_to_ess")


def _fields(flow: Flow) -> dict[str, Any]:
    return {
        "block_number": flow.block,
        "direction": flow.direction,
        "kind": flow.kind,
        "bucket": flow.bucket,
        "amount": flow.amount,
        "split": flow.split,
        "source": _addr(flow.source),
        "recipient": _addr(flow.recipient),
        "counterparty": _addr(flow.counterparty),
        "relation_ref": flow.relation_ref.lower() if flow.relation_ref else None,
        "memo": flow.memo,
        "project_id": flow.project_id,
        "proposal_id": flow.proposal_id,
        "epoch": flow.epoch,
        "members_to_ess": flow.members_to_ess,
    }


def _api_fields(item: dict[str, Any]) -> dict[str, Any]:
    split = item.get("split")
    fields = {
        "block_number": item.get("block_number"),
        "direction": item.get("direction"),
        "kind": item.get("kind"),
        "bucket": item.get("bucket"),
        "amount": units(item.get("amount")),
        "split": (units(split["members"]), units(split["ess"]), units(split["collective"]))
        if split
        else None,
        "source": _addr(item.get("source")),
        "recipient": _addr(item.get("recipient")),
        "counterparty": _addr(item.get("counterparty")),
        "relation_ref": item["relation_ref"].lower() if item.get("relation_ref") else None,
        "memo": item.get("memo"),
        "project_id": int(item["project_id"]) if item.get("project_id") is not None else None,
        "proposal_id": int(item["proposal_id"]) if item.get("proposal_id") is not None else None,
    }
    for name in OPTIONAL_FLOW_FIELDS:
        if name in item:
            fields[name] = number(item[name])
    return fields


def compare_flows(ledger: Ledger, items: list[dict[str, Any]]) -> list[Difference]:
    """Every flow, both ways: missing, extra, and each field that differs."""
    ours = {flow.key: flow for flow in ledger.flows}
    theirs: dict[tuple[str, int], dict[str, Any]] = {}
    differences: list[Difference] = []
    for item in items:
        key = (str(item["tx_hash"]).lower(), int(item["log_index"]))
        if key in theirs:
            differences.append(Difference(f"flow {key[0]}:{key[1]} listed twice", 2, 1))
        theirs[key] = item
    for key, flow in ours.items():
        label = f"flow {key[0]}:{key[1]} ({flow.kind}, block {flow.block})"
        if key not in theirs:
            differences.append(Difference(f"{label} missing from the API", None, flow.amount))
            continue
        mine, api = _fields(flow), _api_fields(theirs[key])
        for name, value in api.items():
            if mine[name] != value:
                differences.append(Difference(f"{label} {name}", value, mine[name]))
    for key, item in theirs.items():
        if key not in ours:
            differences.append(
                Difference(
                    f"flow {key[0]}:{key[1]} ({item.get('kind')}) not on chain",
                    units(item.get("amount")),
                    None,
                )
            )
    return differences
