"""The chain's governance records in the shape the API serves them (cmir/api/schemas/governance.py),
from the Governor's replay and views (`governor`): a proposal as listed and in detail (its
actions decoded from ProposalCreated's calldata with the deployment record's ABIs, the payouts
they name against the registry's ``payoutOf`` now, its timeline), a vote, a guardian's
cancellation, the governed settings. Values are plain (ints, checksum addresses, Unix seconds,
``0x`` hex): `cmir.audit.compare.normalise` brings the API's JSON to the same form.

The API's definitions, reproduced (not imported): a title is the description's first line
(stripped, 200 characters); a description is cut to 20,000 characters, a reason, params and a
calldata to 2,000; an action's arguments are JSON (integers as decimal strings, bytes as hex,
structs as objects by component name, an unnamed input ``arg<n>``); a funding or an activation
is void when the proposal may still be executed (pending, active, succeeded, queued) and the
project's wallet version or wallet is no longer the one it names (or the project is unknown).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from eth_abi.abi import decode
from eth_utils.crypto import keccak

from cmir.audit.chain import Contract, Event, canonical, checksum
from cmir.audit.resources.governor import ChainProposal, ChainVote, Governance
from cmir.audit.resources.records import as_of, tx_ref

OPEN_STATES = ("pending", "active", "succeeded", "queued")
SUPPORT = ("against", "for", "abstain")
#: Calls naming a project's wallet version: function -> (contract role, amount arg, wallet arg).
PAYOUT_FUNCTIONS: dict[str, tuple[str, str | None, str | None]] = {
    "fundEssProject": ("pool", "amount", "payoutWallet"),
    "activateProject": ("registry", None, None),
}
#: Turns a transaction hash into what the API links to (the hash, or None without an explorer).
Link = Callable[[str | None], str | None]


def title(description: str) -> str:
    """The description's first line, as the API cuts it."""
    return (description.strip().splitlines() or [""])[0][:200]


def _json(entry: dict[str, Any], value: Any) -> Any:
    """A decoded argument as the API serves it."""
    kind = str(entry["type"])
    if kind.endswith("]"):
        inner = {**entry, "type": kind[: kind.rindex("[")]}
        return [_json(inner, v) for v in value]
    if kind == "tuple":
        components = entry.get("components", [])
        return {
            str(c.get("name") or f"field{i}"): _json(c, v)
            for i, (c, v) in enumerate(zip(components, value, strict=True))
        }
    if kind == "address":
        return checksum(value)
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, bool) or not isinstance(value, int):
        return value
    return str(value)


class Decoder:
    """Calls to the deployment's contracts decoded with their ABIs, by (address, selector)."""

    def __init__(self, contracts: dict[str, Contract]) -> None:
        self.roles = {c.address.lower(): role for role, c in contracts.items()}
        self.functions: dict[tuple[str, bytes], tuple[dict[str, Any], str, list[str]]] = {}
        for contract in contracts.values():
            for name, entry in contract.functions.items():
                types = [canonical(i) for i in entry["inputs"]]
                signature = f"{name}({','.join(types)})"
                selector = keccak(text=signature)[:4]
                self.functions[(contract.address.lower(), selector)] = (entry, signature, types)

    def decode(self, target: str, calldata: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
        """The action's decoded fields (contract, function, signature, decoded, args) and the raw
        arguments by name (empty when not decoded)."""
        role = self.roles.get(target.lower())
        found = self.functions.get((target.lower(), calldata[:4])) if len(calldata) >= 4 else None
        undecoded: dict[str, Any] = {
            "contract": role,
            "function": None,
            "signature": None,
            "decoded": False,
            "args": {},
        }
        if role is None or found is None:
            return undecoded, {}
        entry, signature, types = found
        try:
            values = decode(types, calldata[4:])
        except Exception:  # malformed calldata: the API keeps it raw, undecoded
            return undecoded, {}
        inputs = entry["inputs"]
        names = [str(i.get("name") or f"arg{n}") for n, i in enumerate(inputs)]
        raw = dict(zip(names, values, strict=True))
        args = {name: _json(i, v) for name, i, v in zip(names, inputs, values, strict=True)}
        fields = {
            "contract": role,
            "function": entry["name"],
            "signature": signature,
            "decoded": True,
            "args": args,
        }
        return fields, raw


class PayoutCall(NamedTuple):
    """What a call to ``fundEssProject`` or ``activateProject`` names."""

    project_id: int
    payout_wallet: str | None  # a funding's wallet; an activation names the version only
    wallet_version: int
    amount: int | None


def payout_call(fields: dict[str, Any], raw: dict[str, Any]) -> PayoutCall | None:
    """What a decoded call (`Decoder.decode`) names of a project's wallet, None for another call."""
    names = PAYOUT_FUNCTIONS.get(str(fields["function"]))
    if not fields["decoded"] or names is None or fields["contract"] != names[0]:
        return None
    _, amount, wallet = names
    return PayoutCall(
        int(raw["projectId"]),
        checksum(raw[wallet]) if wallet else None,
        int(raw["walletVersion"]),
        int(raw[amount]) if amount else None,
    )


def void(state: str, call: PayoutCall, wallet: str | None, version: int) -> bool:
    """Whether a funding or an activation is void: its proposal may still be executed (`state`)
    and the project's wallet now (`wallet`; None: an unknown project) or its wallet `version` is
    no longer the one the call names (the call would revert)."""
    changed = (
        wallet is None
        or call.wallet_version != version
        or (call.payout_wallet is not None and call.payout_wallet != wallet)
    )
    return state in OPEN_STATES and changed


def payout(
    g: Governance, p: ChainProposal, fields: dict[str, Any], raw: dict[str, Any]
) -> dict[str, Any] | None:
    """What a funding or an activation names, with the project's wallet version now and whether
    the proposal's call would revert (None for another call)."""
    call = payout_call(fields, raw)
    if call is None:
        return None
    wallet, version = g.payouts.get(call.project_id, (None, 0))
    return {
        "project_id": call.project_id,
        "payout_wallet": call.payout_wallet,
        "wallet_version": call.wallet_version,
        "amount": call.amount,
        "current_wallet_version": version if wallet is not None else None,
        "void": void(p.state, call, wallet, version),
    }


def payout_projects(decoder: Decoder, g: Governance) -> list[int]:
    """The projects the proposals' fundings and activations name (their wallets are read)."""
    projects: set[int] = set()
    for p in g.proposals.values():
        for target, calldata in zip(p.targets, p.calldatas, strict=False):
            call = payout_call(*decoder.decode(target, calldata))
            if call is not None:
                projects.add(call.project_id)
    return sorted(projects)


def actions(decoder: Decoder, g: Governance, p: ChainProposal) -> list[dict[str, Any]]:
    """The proposal's calls as the API lists them."""
    found = []
    for index, (target, value, calldata) in enumerate(zip(p.targets, p.values, p.calldatas, strict=False)):
        fields, raw = decoder.decode(target, calldata)
        found.append(
            {
                "index": index,
                "target": target,
                "value": value,
                **fields,
                "calldata": ("0x" + calldata.hex())[:2000],
                "payout": payout(g, p, fields, raw),
            }
        )
    return found


def cancellation(p: ChainProposal, link: Link) -> dict[str, Any] | None:
    """The guardian's cancellation (its reason; where and when: OpenZeppelin's ProposalCanceled
    of the same transaction), None if the guardian did not cancel it."""
    if p.by_guardian is None:
        return None
    where = p.canceled or p.by_guardian
    return {
        "guardian": str(p.by_guardian.args["guardian"]),
        "reason": str(p.by_guardian.args["reason"])[:2000],
        "time": where.timestamp,
        "block_number": where.block,
        "tx_hash": where.tx_hash,
        "explorer_url": link(where.tx_hash),
    }


def item(g: Governance, p: ChainProposal, link: Link, action_list: list[dict[str, Any]]) -> dict[str, Any]:
    """A proposal as ``/governance/proposals`` lists it."""
    against, for_votes, abstain = p.votes_view
    counted = for_votes + abstain
    voters = len(p.votes)
    return {
        "id": str(p.id),
        "proposer": p.proposer,
        "state": p.state,
        "title": title(p.description),
        "created_at": p.created.timestamp,
        "created_block": p.created.block,
        "vote_start": p.snapshot,
        "vote_end": p.deadline,
        "expires_at": p.expires_at,
        "tally": {
            "for_votes": for_votes,
            "against_votes": against,
            "abstain_votes": abstain,
            "voters": voters,
        },
        "quorum": {
            "members_at_snapshot": p.members,
            "quorum_numerator": p.numerator,
            "quorum_floor": p.floor,
            "required": p.quorum,
            "counted": counted,
            "reached": counted >= p.quorum,
            "turnout_percent": round(voters * 100 / p.members, 2) if p.members else None,
        },
        "guardian_cancellation": cancellation(p, link),
        "void": any(a["payout"] is not None and a["payout"]["void"] for a in action_list),
        "explorer_url": link(p.created.tx_hash),
    }


def timeline(g: Governance, p: ChainProposal, link: Link) -> dict[str, dict[str, Any]]:
    """The proposal's steps by name: recorded ones with their block and transaction, the others
    with their time and whether it has come at the block."""
    now = g.block_time

    def entry(when: int | None, event: Event | None = None) -> dict[str, Any]:
        return {
            "time": when,
            "block": event.block if event else None,
            "tx_hash": event.tx_hash if event else None,
            "explorer_url": link(event.tx_hash) if event else None,
            "done": event is not None or (when is not None and when <= now),
        }

    steps = {
        "created": entry(p.created.timestamp, p.created),
        "voting_starts": entry(p.snapshot),
        "voting_ends": entry(p.deadline),
    }
    if p.queued is not None:
        steps["queued"] = entry(p.queued.timestamp, p.queued)
        steps["executable"] = entry(p.eta)
    if p.state in ("succeeded", "queued", "expired"):
        steps["expires"] = {**entry(p.expires_at), "done": now > p.expires_at}
    if p.executed is not None:
        steps["executed"] = entry(p.executed.timestamp, p.executed)
    if p.canceled is not None:
        steps["canceled"] = entry(p.canceled.timestamp, p.canceled)
    return steps


def detail(decoder: Decoder, g: Governance, p: ChainProposal, link: Link) -> dict[str, Any]:
    """A proposal as ``/governance/proposals/{id}`` serves it (its timeline keyed by step)."""
    action_list = actions(decoder, g, p)
    return {
        **item(g, p, link, action_list),
        "description": p.description[:20_000],
        "actions": action_list,
        "timeline": timeline(g, p, link),
        "eta": p.eta or None,
    }


def vote(v: ChainVote, link: Link) -> dict[str, Any]:
    """A vote as ``/governance/proposals/{id}/votes`` lists it."""
    return {
        **tx_ref(v.event),
        "explorer_url": link(v.event.tx_hash),
        "voter": v.voter,
        "support": SUPPORT[v.support] if 0 <= v.support < len(SUPPORT) else v.support,
        "weight": v.weight,
        "reason": v.reason[:2000],
        "params": None if v.params is None else ("0x" + v.params.hex())[:2000],
    }


def cancellation_item(p: ChainProposal, link: Link) -> dict[str, Any]:
    """A guardian's cancellation as ``/governance/guardian-cancellations`` lists it."""
    return {
        **(cancellation(p, link) or {}),
        "proposal_id": str(p.id),
        "title": title(p.description),
        "proposer": p.proposer,
    }


def settings(g: Governance, block: int, block_hash: str) -> dict[str, Any]:
    """The governed settings as ``/governance/settings`` serves them, from the views at the block
    (the members in probation and the attesters from the events: no view counts them)."""
    v = g.views
    return {
        "as_of": as_of(block, block_hash, g.block_time),
        **{
            name: v[name]
            for name in (
                "voting_delay",
                "voting_period",
                "proposal_threshold",
                "quorum_numerator",
                "quorum_floor",
                "approval_grace_period",
                "timelock_min_delay",
                "guardian",
                "probation",
                "invitation_refill_period",
                "invitation_cap",
                "invitation_ttl",
                "membership_fee",
                "active_members",
            )
        },
        "attesters": sum(1 for allowed in g.attesters.values() if allowed),
        "members_in_probation": g.in_probation,
    }
