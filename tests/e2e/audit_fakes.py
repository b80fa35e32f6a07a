"""Stand-ins for the auditor's tests: a transparency API serving what the chain says (which a
test may then doctor) and a JSON-RPC proxy that alters one log on its way to the auditor.

The fake API's members come straight from the pool's views and events (web3), its pool figures
and flows from the auditor's ledger: what is compared is the audit's own reading of the API's
figures, field by field. Both listen on 127.0.0.1 only."""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import urlparse

import requests
from audit_chain import AuditChain

from cmir.audit.chain import Rpc
from cmir.audit.ledger import Ledger, build


def _amount(units: int) -> dict[str, str]:
    return {"units": str(units), "display": f"{units / 10**6:.6f}"}


def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat().replace("+00:00", "Z")


def _pool(ledger: Ledger) -> dict[str, Any]:
    s, v = ledger.sums, ledger.views
    bucket = {
        "members": ("members_received", "rewards_claimed", "members_available"),
        "ess": ("ess_received", "ess_disbursed", "ess_available"),
        "collective": ("collective_received", "collective_spent", "collective_available"),
    }
    return {
        "as_of": {"block": ledger.block, "block_hash": ledger.block_hash, "time": None},
        "total_received": _amount(s["total_received"]),
        "total_out": _amount(s["total_out"]),
        "balance": _amount(s["balance"]),
        "buckets": {
            name: {"received": _amount(s[r]), "spent": _amount(s[o]), "available": _amount(s[v])}
            for name, (r, o, v) in bucket.items()
        },
        "inflow_count": s["inflow_count"],
        "relation_count": s["relation_count"],
        "matured_points": str(s["matured_points"]),
        "pending_points": str(s["pending_points"]),
        "total_points": str(s["total_points"]),
        "epoch": s["epoch"],
        "members_to_ess": _amount(s["members_to_ess"]),
        "epoch_length": v["epoch_clock"]["length"],
        "epoch_ends_at": _iso(ledger.clock.epoch_end(s["epoch"])) if ledger.clock else None,
        "epoch_reward_cap_bps": v["epoch_reward_cap_bps"],
        "max_epoch_reward_cap_bps": v["max_epoch_reward_cap_bps"],
        "parties_min_share_bps": v["parties_min_share_bps"],
    }


def _flows(ledger: Ledger) -> list[dict[str, Any]]:
    items = []
    for flow in reversed(ledger.flows):
        item: dict[str, Any] = {
            "tx_hash": flow.tx_hash,
            "log_index": flow.log_index,
            "block_number": flow.block,
            "direction": flow.direction,
            "kind": flow.kind,
            "bucket": flow.bucket,
            "amount": _amount(flow.amount),
            "split": None,
            "source": flow.source,
            "recipient": flow.recipient,
            "counterparty": flow.counterparty,
            "relation_ref": flow.relation_ref,
            "memo": flow.memo,
            "project_id": flow.project_id,
            "proposal_id": flow.proposal_id,
            "epoch": None,
            "members_to_ess": None,
        }
        if flow.split is not None:
            item["split"] = dict(zip(("members", "ess", "collective"), map(_amount, flow.split), strict=True))
            item["epoch"] = flow.epoch
            item["members_to_ess"] = _amount(flow.members_to_ess or 0)
        items.append(item)
    return items


def _members(chain: AuditChain, block: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The member list and the excluded members' details, from the pool's views and events."""
    pool = chain.pool
    claimed: dict[str, int] = {}
    for log in pool.events.RewardsClaimed.get_logs(from_block=0, to_block=block):
        claimed[log.args.member] = claimed.get(log.args.member, 0) + int(log.args.amount)
    frozen = {
        log.args.member: log for log in pool.events.MemberRewardsFrozen.get_logs(from_block=0, to_block=block)
    }
    items, details = [], {}
    for who in chain.members:
        points = pool.functions.memberPoints(who).call(block_identifier=block)
        matured, pending, pending_epoch, matures_at = points
        claimable = int(pool.functions.claimableOf(who).call(block_identifier=block))
        item = {
            "address": who,
            "status": "excluded" if who in frozen else "active",
            "points": str(pool.functions.pointsOf(who).call(block_identifier=block)),
            "matured_points": str(matured),
            "pending_points": str(pending),
            "pending_epoch": pending_epoch or None,
            "matures_at": _iso(matures_at) if matures_at else None,
            "claimable": _amount(claimable),
            "claimed": _amount(claimed.get(who, 0)),
            "earned": _amount(claimable + claimed.get(who, 0)),
        }
        items.append(item)
        if who in frozen:
            args = frozen[who].args
            details[who] = {
                **item,
                "freeze": {
                    "matured_removed": str(args.maturedRemoved),
                    "pending_removed": str(args.pendingRemoved),
                    "accrued": _amount(int(args.accrued)),
                },
            }
    return items, details


class FakeApi:
    """``/api/v1/{pool,social-utility,flows,members,members/<address>}`` at `block`; `doctor`
    edits the responses (a deep copy) before they are served."""

    def __init__(self, chain: AuditChain, block: int) -> None:
        ledger = build(Rpc(chain.url), chain.record_path, block)
        assert ledger.ok, [c for c in ledger.checks if not c.ok]
        members, details = _members(chain, block)
        s = ledger.sums
        ratio = {
            name: {"numerator": _amount(n), "denominator": _amount(s["total_received"])}
            for name, n in (("disbursed_ratio", s["ess_disbursed"]), ("allocated_ratio", s["ess_received"]))
        }
        self.block = block
        self.ledger = ledger
        self.routes: dict[str, Any] = {
            "/api/v1/pool": _pool(ledger),
            "/api/v1/social-utility": {"as_of": {"block": block}, **ratio},
            "/api/v1/flows": {"items": _flows(ledger), "next_cursor": None},
            "/api/v1/members": {"items": members, "page": {"next_offset": None}},
            **{f"/api/v1/members/{who}": detail for who, detail in details.items()},
        }

    def doctored(self, doctor: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        routes = copy.deepcopy(self.routes)
        doctor(routes)
        return routes


class _Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, Any]] = {}

    def do_GET(self) -> None:
        body = self.routes.get(urlparse(self.path).path)
        data = json.dumps(body if body is not None else {"detail": "not found"}).encode()
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def serve(routes: dict[str, Any]) -> Iterator[str]:
    """`routes` served over HTTP; yields the base URL."""
    with _listening(type("Handler", (_Handler,), {"routes": routes})) as url:
        yield url


class _Proxy(BaseHTTPRequestHandler):
    upstream = ""
    alter: Callable[[dict[str, Any]], None] = staticmethod(lambda log: None)

    def do_POST(self) -> None:
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        replies = requests.post(self.upstream, json=payload, timeout=60).json()
        for request, reply in zip(
            payload if isinstance(payload, list) else [payload],
            replies if isinstance(replies, list) else [replies],
            strict=True,
        ):
            if request.get("method") == "eth_getLogs" and isinstance(reply.get("result"), list):
                for log in reply["result"]:
                    type(self).alter(log)
        data = json.dumps(replies).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def doctoring_rpc(upstream: str, alter: Callable[[dict[str, Any]], None]) -> Iterator[str]:
    """A JSON-RPC proxy to `upstream` that passes every log of eth_getLogs through `alter`."""
    handler = type("Proxy", (_Proxy,), {"upstream": upstream, "alter": staticmethod(alter)})
    with _listening(handler) as url:
        yield url


@contextmanager
def _listening(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
