"""Compare the auditor's ledger with what the transparency API publishes: every figure of
``/api/v1/pool`` and ``/api/v1/social-utility``, and every flow of ``/api/v1/flows`` (by
transaction hash and log index), at the block the API holds."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import requests

from cmir.audit.chain import AuditError
from cmir.audit.ledger import Flow, Ledger

PAGE = 200


@dataclass
class Difference:
    """One thing the API says differently from the chain."""

    what: str
    api: Any
    chain: Any

    def __str__(self) -> str:
        return f"{self.what}: API {self.api} != chain {self.chain}"


class Api:
    """The API's JSON, with one-line errors."""

    def __init__(self, base: str, timeout: float = 30.0) -> None:
        self.base = base.rstrip("/")
        if not self.base.endswith("/api/v1"):
            self.base += "/api/v1"
        self.session = requests.Session()
        self.timeout = timeout

    def get(self, path: str, **params: Any) -> Any:
        """GET a route; non-200 raises AuditError."""
        url = f"{self.base}{path}"
        try:
            response = self.session.get(
                url, params={k: v for k, v in params.items() if v is not None}, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise AuditError(f"API {url} unreachable: {exc}") from None
        if response.status_code != 200:
            raise AuditError(f"API {url} answered {response.status_code}: {response.text[:200]}")
        return response.json()


def snapshot(api: Api, attempts: int = 10) -> tuple[int, str | None, dict[str, Any], dict[str, Any]]:
    """The API's block and its pool and social-utility figures, read at one indexed block."""
    for _ in range(attempts):
        pool = api.get("/pool")
        social = api.get("/social-utility")
        if pool["as_of"]["block"] == social["as_of"]["block"]:
            return int(pool["as_of"]["block"]), pool["as_of"].get("block_hash"), pool, social
        time.sleep(0.5)
    raise AuditError("the API's indexed block kept moving; retry when the indexer is idle")


def api_flows(api: Api, to_block: int) -> list[dict[str, Any]]:
    """Every flow the API lists up to `to_block` (all pages)."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page = api.get("/flows", limit=PAGE, to_block=to_block, cursor=cursor)
        items += page["items"]
        cursor = page.get("next_cursor")
        if not cursor:
            return items


def _units(value: Any) -> int | None:
    return None if value is None else int(value["units"])


def _addr(value: str | None) -> str | None:
    return value.lower() if value else None


def compare_figures(ledger: Ledger, pool: dict[str, Any], social: dict[str, Any]) -> list[Difference]:
    """Each figure of the pool and social-utility responses against the ledger."""
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
        "undistributed_rewards": s["undistributed_rewards"],
    }
    differences = []
    for path, chain_value in expected.items():
        node: Any = pool
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        api_value = _units(node) if isinstance(node, dict) else node
        if api_value != chain_value:
            differences.append(Difference(f"pool {path}", api_value, chain_value))
    for name, chain_value in (
        ("total_points", s["total_points"]),
        ("inflow_count", s["inflow_count"]),
        ("relation_count", s["relation_count"]),
    ):
        api_value = pool.get(name)
        if api_value is None or int(api_value) != chain_value:
            differences.append(Difference(f"pool {name}", api_value, chain_value))
    for name, numerator in (("disbursed_ratio", s["ess_disbursed"]), ("allocated_ratio", s["ess_received"])):
        ratio = social.get(name) or {}
        got = (_units(ratio.get("numerator")), _units(ratio.get("denominator")))
        if got != (numerator, s["total_received"]):
            differences.append(Difference(f"social-utility {name}", got, (numerator, s["total_received"])))
    return differences


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
    }


def _api_fields(item: dict[str, Any]) -> dict[str, Any]:
    split = item.get("split")
    return {
        "block_number": item.get("block_number"),
        "direction": item.get("direction"),
        "kind": item.get("kind"),
        "bucket": item.get("bucket"),
        "amount": _units(item.get("amount")),
        "split": (_units(split["members"]), _units(split["ess"]), _units(split["collective"]))
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
        for name, value in mine.items():
            if api[name] != value:
                differences.append(Difference(f"{label} {name}", api[name], value))
    for key, item in theirs.items():
        if key not in ours:
            differences.append(
                Difference(
                    f"flow {key[0]}:{key[1]} ({item.get('kind')}) not on chain",
                    _units(item.get("amount")),
                    None,
                )
            )
    return differences
