"""A scripted life of the DAO touching every event type the indexer projects."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_utils import keccak
from indexer_chain import EUR, Dao

MAX = 2**256 - 1
PILOTE, ABEILLE, ESS = 0, 1, 2


@dataclass
class Outcome:
    """What the scenario made, for the assertions."""

    proposals: dict[str, int] = field(default_factory=dict)
    projects: dict[str, int] = field(default_factory=dict)
    metadata_status: dict[int, str] = field(default_factory=dict)


def document(name: str) -> bytes:
    """An ESS project's metadata document."""
    return json.dumps(
        {
            "name": name,
            "legalForm": "association loi 1901",
            "territories": ["75056", "93066"],
            "themes": ["insertion", "alimentation"],
            "description": f"{name}: épicerie solidaire et chantier d'insertion",
        },
        ensure_ascii=False,
        sort_keys=True,
    ).encode()


def data_uri(content: bytes) -> str:
    """A base64 data: URI."""
    return "data:application/json;base64," + base64.b64encode(content).decode()


class Governance:
    """Proposals through the Governor, as a member does it."""

    def __init__(self, dao: Dao) -> None:
        self.dao = dao

    def proposal(
        self, calls: list[tuple[Any, str, tuple[Any, ...]]], description: str
    ) -> tuple[list[Any], ...]:
        """(targets, values, calldatas, description) of `calls`."""
        targets = [c.address for c, _, _ in calls]
        calldatas = [self.dao.calldata(c, f, *args) for c, f, args in calls]
        return targets, [0] * len(calls), calldatas, [description]

    def propose(self, spec: tuple[list[Any], ...], sender: str) -> int:
        """Submit; returns the proposal id."""
        targets, values, calldatas, (description,) = spec
        self.dao.send(self.dao.governor, "propose", targets, values, calldatas, description, sender=sender)
        return int(
            self.dao.governor.functions.hashProposal(
                targets, values, calldatas, keccak(text=description)
            ).call()
        )

    def step(self, name: str, spec: tuple[list[Any], ...], sender: str) -> None:
        """queue, execute or cancel."""
        targets, values, calldatas, (description,) = spec
        self.dao.send(
            self.dao.governor, name, targets, values, calldatas, keccak(text=description), sender=sender
        )


def epoch_left(dao: Dao) -> int:
    """Seconds until the pool's current epoch ends (as of the latest block)."""
    return int(dao.pool.functions.epochEndsAt(dao.pool.functions.epoch().call()).call()) - dao.now()


def run(dao: Dao, metadata_dir: Path) -> Outcome:
    """Play the scenario; accounts: 0 deployer, 1-3 founders (Pilote, Abeille, ESS structure),
    4 steward, 5-8 newcomers, 9 an outsider who contributes."""
    a = dao.accounts
    token, membership, registry, pool, governor = (
        dao.token,
        dao.membership,
        dao.registry,
        dao.pool,
        dao.governor,
    )
    out = Outcome()
    gov = Governance(dao)

    for account in a[:10]:
        dao.send(token, "mint", account, 1_000 * EUR, sender=account)
        dao.send(token, "approve", pool.address, MAX, sender=account)

    # Joining: invitations accepted and revoked.
    dao.send(membership, "invite", a[5], ABEILLE, sender=a[1])
    dao.send(membership, "acceptInvitation", sender=a[5])
    dao.send(membership, "invite", a[6], PILOTE, sender=a[2])
    dao.send(membership, "acceptInvitation", sender=a[6])
    dao.send(membership, "invite", a[7], ABEILLE, sender=a[1])
    dao.send(membership, "revokeInvitation", a[7], sender=a[1])
    dao.send(membership, "invite", a[8], ESS, sender=a[3])  # accepted later, with a fee
    dao.send(membership, "invite", a[0], ABEILLE, sender=a[1])  # superseded by an admission

    # Relations (sponsors earn points, pending until the epoch ends); in the next epoch a
    # contribution spread over the matured points, a surplus (all to ESS), claims.
    dao.send(pool, "payRelation", a[6], 20 * EUR, keccak(text="meeting-1"), sender=a[5])
    dao.send(pool, "payRelation", a[2], 15 * EUR, keccak(text="intro-2"), sender=a[1])
    dao.send(pool, "payRelation", a[5], 12 * EUR, keccak(text="meeting-3"), sender=a[6])
    dao.send(pool, "payRelation", a[1], 33_333_333, keccak(text="supplier-4"), sender=a[2])
    dao.travel(epoch_left(dao))
    dao.send(pool, "contribute", 7 * EUR, "soutien au réseau", sender=a[9])
    dao.send(token, "transfer", pool.address, 3 * EUR + 1, sender=a[9])
    dao.send(pool, "accountSurplus", sender=a[9])
    dao.send(pool, "claim", sender=a[5])
    dao.send(pool, "claim", sender=a[1])

    # ESS projects: metadata ok, mismatching, unreachable; one updated.
    first = document("Épicerie du Canal")
    dao.send(registry, "registerProject", a[3], data_uri(first), keccak(first), sender=a[3])
    other = document("Other")
    dao.send(registry, "registerProject", a[3], data_uri(other), keccak(document("Different")), sender=a[3])
    missing = metadata_dir / "missing.json"
    dao.send(registry, "registerProject", a[8], missing.as_uri(), keccak(b"{}"), sender=a[3])
    updated = document("Épicerie du Canal — 2e site")
    (metadata_dir / "p1.json").write_bytes(updated)
    dao.send(
        registry, "updateProject", 1, a[8], (metadata_dir / "p1.json").as_uri(), keccak(updated), sender=a[3]
    )
    fourth = document("Ressourcerie")
    dao.send(registry, "registerProject", a[3], data_uri(fourth), keccak(fourth), sender=a[3])
    out.metadata_status = {1: "ok", 2: "mismatch", 3: "unreachable", 4: "ok"}

    dao.send(pool, "spendCollective", a[9], 2 * EUR, "location de salle", sender=a[4])

    # Governance: one proposal changes every governed setting, funds a project, admits and excludes.
    dao.travel(2)
    p1 = gov.proposal(
        [
            (registry, "setProjectActive", (1, True)),  # its new wallet switched it off
            (registry, "setProjectActive", (2, False)),
            (pool, "fundEssProject", (1, 5 * EUR)),
            (pool, "setShares", ((4000, 4000, 2000),)),
            (pool, "setPointWeights", ((2500, 4500, 1500, 1500),)),
            (pool, "setMinRelationFee", (5 * EUR,)),
            (pool, "setSteward", (a[1],)),
            (pool, "setEpochRewardCap", (4000,)),
            (pool, "setPartiesMinShare", (6500,)),
            (pool, "setEpochLength", (90,)),
            (membership, "setInvitationAllowance", (5,)),
            (membership, "setMembershipFee", (2 * EUR,)),
            (membership, "admit", (a[0], ABEILLE, a[5])),
            (membership, "exclude", (a[6], "inactif depuis un an")),
        ],
        "P1: financer l'épicerie, régler les paramètres, admettre et exclure",
    )
    out.proposals["executed"] = gov.propose(p1, a[1])
    dao.travel(2)
    pid = out.proposals["executed"]
    dao.send(governor, "castVoteWithReason", pid, 1, "pour l'épicerie", sender=a[1])
    dao.send(governor, "castVote", pid, 0, sender=a[2])
    dao.send(governor, "castVoteWithReasonAndParams", pid, 2, "abstention", b"\x01\x02", sender=a[3])
    dao.send(governor, "castVote", pid, 1, sender=a[5])
    dao.send(governor, "castVoteWithReason", pid, 1, "d'accord", sender=a[6])
    dao.travel(301)
    gov.step("queue", p1, a[1])
    dao.travel(61)
    # a[6] earns pending points just before its exclusion removes them with its matured ones.
    dao.send(pool, "payRelation", a[5], 12 * EUR, keccak(text="meeting-4b"), sender=a[6])
    gov.step("execute", p1, a[2])

    # After the vote: a fee-paying newcomer, relations under the new weights, the new steward.
    dao.send(membership, "acceptInvitation", sender=a[8])
    dao.send(pool, "payRelation", a[8], 6 * EUR, keccak(text="meeting-5"), sender=a[5])
    dao.send(pool, "payRelation", a[1], 10 * EUR, keccak(text="meeting-6"), sender=a[0])
    dao.send(pool, "contribute", 1_234_567, "don", sender=a[9])
    dao.send(pool, "spendCollective", a[9], 1 * EUR, "vitrine des savoir-faire", sender=a[1])
    dao.send(pool, "claim", sender=a[6])  # excluded, keeps what it earned
    dao.send(pool, "claim", sender=a[2])

    # More proposals: canceled, defeated, succeeded (not queued), active.
    p2 = gov.proposal([(pool, "setMinRelationFee", (6 * EUR,))], "P2: annulée")
    out.proposals["canceled"] = gov.propose(p2, a[2])
    gov.step("cancel", p2, a[2])
    dao.travel(2)
    p3 = gov.proposal([(pool, "setMinRelationFee", (7 * EUR,))], "P3: rejetée")
    p5 = gov.proposal([(pool, "setMinRelationFee", (8 * EUR,))], "P5: adoptée, pas mise en file")
    out.proposals["defeated"] = gov.propose(p3, a[1])
    out.proposals["succeeded"] = gov.propose(p5, a[1])
    dao.travel(2)
    for voter, support in ((a[1], 1), (a[2], 0), (a[3], 0), (a[5], 0)):
        dao.send(governor, "castVote", out.proposals["defeated"], support, sender=voter)
    for voter in (a[1], a[5]):
        dao.send(governor, "castVote", out.proposals["succeeded"], 1, sender=voter)
    dao.travel(301)
    p4 = gov.proposal([(pool, "setMinRelationFee", (9 * EUR,))], "P4: en cours")
    out.proposals["active"] = gov.propose(p4, a[5])
    dao.travel(2)
    dao.send(governor, "castVoteWithReason", out.proposals["active"], 1, "oui", sender=a[1])
    out.projects = {"funded": 1, "inactive": 2}
    return out
