"""Compare the auditor's ledger with what the transparency API publishes: every figure of
``/api/v1/pool`` and ``/api/v1/social-utility``, every flow of ``/api/v1/flows`` (by
transaction hash and log index) and every member of ``/api/v1/members`` (claimable, points,
matured and pending points, maturity; an excluded member's freeze), at the block the API holds.
A figure the API does not serve is not compared; one it serves differently is a difference."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from eth_utils.address import to_checksum_address

from cmir.audit.chain import AuditError
from cmir.audit.ledger import Flow, Ledger
from cmir.audit.replay import MemberFigures

PAGE = 200


@dataclass
class Difference:
    """One thing the API says differently from the chain."""

    what: str
    api: Any
    chain: Any
    field: str | None = None  # the figure of `what` that differs, when it has several

    def __str__(self) -> str:
        named = f"{self.field} " if self.field else ""
        return f"{self.what}: {named}API {self.api} != chain {self.chain}"


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


def _number(value: Any) -> Any:
    """A figure the API serves as an integer, a digit string or an Amount ({"units": ...}), as an
    int; anything else as it is (so that it shows in the difference)."""
    if isinstance(value, dict) and "units" in value:
        value = value["units"]
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def _seconds(value: Any) -> Any:
    """A time the API serves as Unix seconds or an ISO 8601 string, as Unix seconds."""
    if isinstance(value, str) and not value.isdigit():
        try:
            when = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
        return int((when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp())
    return _number(value)


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
        api_value = _units(node) if isinstance(node, dict) else node
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
        api_value = _seconds(pool[name]) if name == "epoch_ends_at" else _number(pool[name])
        if api_value != on_chain:
            differences.append(Difference(f"pool {name}", api_value, on_chain))
    for name, numerator in (("disbursed_ratio", s["ess_disbursed"]), ("allocated_ratio", s["ess_received"])):
        ratio = social.get(name) or {}
        got = (_units(ratio.get("numerator")), _units(ratio.get("denominator")))
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
    for name in OPTIONAL_FLOW_FIELDS:
        if name in item:
            fields[name] = _number(item[name])
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
                    _units(item.get("amount")),
                    None,
                )
            )
    return differences


def api_members(api: Api, block: int, attempts: int = 5) -> list[dict[str, Any]]:
    """Every member the API lists (all pages), read while its indexed block is `block`."""
    for _ in range(attempts):
        items: list[dict[str, Any]] = []
        offset: int | None = 0
        while offset is not None:
            page = api.get("/members", limit=PAGE, offset=offset)
            items += page["items"]
            offset = page["page"].get("next_offset")
        if int(api.get("/pool")["as_of"]["block"]) == block:
            return items
        time.sleep(0.5)
    raise AuditError(
        "the API's indexed block moved while its members were read; retry when the indexer is idle"
    )


def _member_figures(chain: MemberFigures, claimed: int) -> dict[str, Any]:
    """A member's figures as the API names them, from the pool's views and the claims."""
    return {
        "claimable": chain.claimable,
        "claimed": claimed,
        "earned": claimed + chain.claimable,
        "points": chain.points,
        "matured_points": chain.matured,
        "pending_points": chain.pending,
        "pending_epoch": chain.pending_epoch or None,
        "matures_at": chain.matures_at or None,
    }


def compare_members(ledger: Ledger, items: list[dict[str, Any]], details: dict[str, Any]) -> list[Difference]:
    """Each member's figures the API serves against the pool's views at the block (claimable,
    points, matured and pending points, pending epoch, maturity time, claimed, earned), and each
    excluded member's freeze (`details`: the API's member detail by address) against its event."""
    differences: list[Difference] = []
    for item in items:
        who = to_checksum_address(item["address"])
        chain = ledger.members.get(who)
        if chain is None:
            differences.append(Difference(f"member {who}", "listed", "not read on chain"))
            continue
        for name, value in _member_figures(chain, ledger.claimed.get(who, 0)).items():
            if name not in item:
                continue
            served = _seconds(item[name]) if name == "matures_at" else _number(item[name])
            if served != value:
                differences.append(Difference(f"member {who}", served, value, field=name))
    for address, detail in details.items():
        who = to_checksum_address(address)
        freeze = ledger.freezes.get(who)
        served = detail.get("freeze")
        if freeze is None or served is None:
            if (freeze is None) != (served is None):
                differences.append(
                    Difference(f"member {who}", served, freeze and freeze.tx_hash, field="freeze")
                )
            continue
        expected = {
            "matured_removed": freeze.matured_removed,
            "pending_removed": freeze.pending_removed,
            "points_removed": freeze.matured_removed + freeze.pending_removed,
            "accrued": freeze.accrued,
        }
        for name, value in expected.items():
            if name in served and _number(served[name]) != value:
                differences.append(
                    Difference(f"member {who}", _number(served[name]), value, field=f"freeze.{name}")
                )
    return differences


def excluded_details(api: Api, items: list[dict[str, Any]]) -> dict[str, Any]:
    """The API's detail of each excluded member (its freeze)."""
    return {
        item["address"]: api.get(f"/members/{item['address']}")
        for item in items
        if item.get("status") == "excluded"
    }
