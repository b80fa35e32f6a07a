"""A scripted life of the DAO touching every event type the indexer projects, under the rules of
issue 11: members in probation, invitations per sponsor that expire or are revoked by
governance, an attested ESS structure, projects waiting for activation, a wallet change voiding a
funding, an approval that expired, a cancellation by the guardian with its reason, and the
steward's budget."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_utils.crypto import keccak
from web3 import Web3

from tests.indexer.indexer_chain import EUR, Dao, rpc

MAX = 2**256 - 1
PILOTE, ABEILLE, ESS = 0, 1, 2


#: Accounts without a key on anvil, impersonated: the guardian ("conseil de surveillance", a Safe
#: in production) and an attester of ESS structures (a regional CRESS, say).
GUARDIAN = Web3.to_checksum_address(keccak(text="cmir guardian")[-20:])
ATTESTER = Web3.to_checksum_address(keccak(text="cmir attester")[-20:])
#: An ESS structure the attester attested that never joined.
ATTESTED_ONLY = Web3.to_checksum_address(keccak(text="cmir attested only")[-20:])
GUARDIAN_REASON = (
    "Capture : ce versement viderait tout le compartiment ESS au profit d'un seul projet, sans"
    " débat en assemblée ; à reproposer après celle de mars."
)
#: The rules P1 sets: probation, refill period, cap, invitation life (seconds, count).
RULES = (120, 120, 5, 7200)
GRACE = 3700  # the approval grace period P1 sets (the deployment's is 3,600 s)


@dataclass
class Outcome:
    """What the scenario made, for the assertions. `proposals` maps a label to an id and
    `states` each label to the Governor's state at the end."""

    proposals: dict[str, int] = field(default_factory=dict)
    states: dict[str, str] = field(default_factory=dict)
    projects: dict[str, int] = field(default_factory=dict)
    metadata_status: dict[int, str] = field(default_factory=dict)
    #: the member that joined last, still in probation at the last block
    in_probation: str = ""
    #: (invitee, sponsor) of the invitation left to expire
    expired_invitation: tuple[str, str] = ("", "")


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
    """Proposals through the Governor, as a member does it: each bound to its proposer (the
    description ends with ``#proposer=0x…``, which the Governor requires)."""

    def __init__(self, dao: Dao) -> None:
        self.dao = dao

    def proposal(
        self, calls: list[tuple[Any, str, tuple[Any, ...]]], description: str, proposer: str
    ) -> tuple[list[Any], ...]:
        """(targets, values, calldatas, description) of `calls`, bound to `proposer`."""
        targets = [c.address for c, _, _ in calls]
        calldatas = [self.dao.calldata(c, f, *args) for c, f, args in calls]
        bound = f"{description}\n\n#proposer={proposer.lower()}"
        return targets, [0] * len(calls), calldatas, [bound]

    def propose(self, spec: tuple[list[Any], ...], sender: str) -> int:
        """Submit; returns the proposal id."""
        targets, values, calldatas, (description,) = spec
        self.dao.send(self.dao.governor, "propose", targets, values, calldatas, description, sender=sender)
        return self.id_of(spec)

    def id_of(self, spec: tuple[list[Any], ...]) -> int:
        """The proposal id of `spec`."""
        targets, values, calldatas, (description,) = spec
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

    def guardian_cancel(self, spec: tuple[list[Any], ...], reason: str) -> None:
        """The guardian cancels, giving `reason`."""
        targets, values, calldatas, (description,) = spec
        self.dao.send(
            self.dao.governor,
            "guardianCancel",
            targets,
            values,
            calldatas,
            keccak(text=description),
            reason,
            sender=GUARDIAN,
        )


def impersonate(dao: Dao, address: str) -> None:
    """Let anvil send transactions from `address` (no key), with ether for gas."""
    rpc(dao.url, "anvil_impersonateAccount", [address])
    rpc(dao.url, "anvil_setBalance", [address, hex(10**20)])


def epoch_left(dao: Dao) -> int:
    """Seconds until the pool's current epoch ends (as of the latest block)."""
    return int(dao.pool.functions.epochEndsAt(dao.pool.functions.epoch().call()).call()) - dao.now()


def run(dao: Dao, metadata_dir: Path) -> Outcome:
    """Play the scenario; accounts: 0 deployer (admitted later), 1-3 founders (Pilote, Abeille,
    ESS structure), 4 steward, 5-8 newcomers, 9 an outsider who contributes; the guardian and
    an attester are impersonated addresses. Local settings: probation 60 s, voting delay 1 s,
    voting period 300 s, timelock 60 s, approval grace 3,600 s, quorum floor 3."""
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
    impersonate(dao, GUARDIAN)
    impersonate(dao, ATTESTER)

    for account in a[:10]:
        dao.send(token, "mint", account, 1_000 * EUR, sender=account)
        dao.send(token, "approve", pool.address, MAX, sender=account)

    # Joining: each invitee accepts naming its sponsor and kind; invitations revoked by their
    # sponsor or by governance; one left to expire; an ESS structure waits for its attestation.
    dao.send(membership, "invite", a[5], ABEILLE, sender=a[1])
    dao.send(membership, "acceptInvitation", a[1], ABEILLE, sender=a[5])
    dao.send(membership, "invite", a[6], PILOTE, sender=a[2])
    dao.send(membership, "acceptInvitation", a[2], PILOTE, sender=a[6])
    dao.send(membership, "invite", a[7], ABEILLE, sender=a[1])
    dao.send(membership, "revokeInvitation", a[7], a[1], sender=a[1])
    dao.send(membership, "invite", a[7], ABEILLE, sender=a[2])  # never accepted: it expires
    out.expired_invitation = (a[7], a[2])
    dao.send(membership, "invite", a[8], ESS, sender=a[3])  # accepted once attested, with a fee
    dao.send(membership, "invite", a[0], ABEILLE, sender=a[1])  # revoked by governance, then admitted

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

    # ESS projects, each inactive until governance activates it: metadata ok, mismatching,
    # unreachable; the first changes its wallet before any vote (wallet version 2).
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

    # The steward spends: its first spending starts a budget period.
    dao.send(pool, "spendCollective", a[9], 2 * EUR, "location de salle", sender=a[4])

    # Governance, once members 5 and 6 are past their probation (60 s): P1 activates projects
    # (the first at its new wallet version), funds one, switches one off again, changes every
    # governed setting, revokes an invitation, admits and excludes; P2 names the guardian (alone,
    # as the Governor requires).
    dao.travel(61)
    p1 = gov.proposal(
        [
            (registry, "activateProject", (1, 2)),
            (registry, "activateProject", (2, 1)),
            (registry, "activateProject", (4, 1)),
            (pool, "fundEssProject", (1, a[8], 2, 5 * EUR)),
            (registry, "deactivateProject", (2,)),
            (pool, "setShares", ((4000, 4000, 2000),)),
            (pool, "setPointWeights", ((2500, 4500, 1500, 1500),)),
            (pool, "setMinRelationFee", (5 * EUR,)),
            (pool, "setSteward", (a[1],)),
            (pool, "setCollectiveBudget", (5 * EUR, 86_400)),
            (pool, "setEpochRewardCap", (4000,)),
            (pool, "setPartiesMinShare", (6500,)),
            (pool, "setEpochLength", (90,)),
            (membership, "setRules", (RULES,)),
            (membership, "setMembershipFee", (2 * EUR,)),
            (membership, "setAttester", (ATTESTER, True)),
            (membership, "revokeInvitation", (a[0], a[1])),
            (membership, "admit", (a[0], ABEILLE, a[5])),
            (membership, "exclude", (a[6], "inactif depuis un an")),
            (governor, "setQuorumFloor", (2,)),
            (governor, "setApprovalGracePeriod", (GRACE,)),
        ],
        "P1: financer l'épicerie, régler les paramètres, admettre et exclure",
        a[1],
    )
    pg = gov.proposal([(governor, "setGuardian", (GUARDIAN,))], "P2: nommer le conseil de surveillance", a[2])
    out.proposals["executed"] = gov.propose(p1, a[1])
    out.proposals["guardian"] = gov.propose(pg, a[2])
    dao.travel(2)
    pid = out.proposals["executed"]
    dao.send(governor, "castVoteWithReason", pid, 1, "pour l'épicerie", sender=a[1])
    dao.send(governor, "castVote", pid, 0, sender=a[2])
    dao.send(governor, "castVoteWithReasonAndParams", pid, 2, "abstention", b"\x01\x02", sender=a[3])
    dao.send(governor, "castVote", pid, 1, sender=a[5])
    dao.send(governor, "castVoteWithReason", pid, 1, "d'accord", sender=a[6])
    for voter in a[1:4]:
        dao.send(governor, "castVote", out.proposals["guardian"], 1, sender=voter)
    dao.travel(301)
    gov.step("queue", p1, a[1])
    gov.step("queue", pg, a[2])
    dao.travel(61)
    # a[6] earns pending points just before its exclusion removes them with its matured ones.
    dao.send(pool, "payRelation", a[5], 12 * EUR, keccak(text="meeting-4b"), sender=a[6])
    gov.step("execute", p1, a[2])
    gov.step("execute", pg, a[3])

    # After the vote: the attester attests two ESS structures, one joins paying the fee;
    # relations under the new weights; the new steward spends within the budget.
    dao.send(membership, "attestEssStructure", a[8], sender=ATTESTER)
    dao.send(membership, "attestEssStructure", ATTESTED_ONLY, sender=ATTESTER)
    dao.send(membership, "acceptInvitation", a[3], ESS, sender=a[8])
    dao.send(pool, "payRelation", a[8], 6 * EUR, keccak(text="meeting-5"), sender=a[5])
    dao.send(pool, "payRelation", a[1], 10 * EUR, keccak(text="meeting-6"), sender=a[0])
    dao.send(pool, "contribute", 1_234_567, "don", sender=a[9])
    dao.send(pool, "spendCollective", a[9], 1 * EUR, "vitrine des savoir-faire", sender=a[1])
    dao.send(pool, "claim", sender=a[6])  # excluded, keeps what it earned
    dao.send(pool, "claim", sender=a[2])

    # More proposals: cancelled by its proposer; defeated (with the vote of a member still in
    # probation, which counts 0); queued, never executed, expired; cancelled by the guardian.
    p3 = gov.proposal([(pool, "setMinRelationFee", (6 * EUR,))], "P3: annulée", a[2])
    out.proposals["canceled"] = gov.propose(p3, a[2])
    gov.step("cancel", p3, a[2])
    dao.travel(2)
    p4 = gov.proposal([(pool, "setMinRelationFee", (7 * EUR,))], "P4: rejetée", a[1])
    p5 = gov.proposal(
        [(pool, "setMinRelationFee", (8 * EUR,))], "P5: adoptée, mise en file, jamais exécutée", a[1]
    )
    ess_left = int(pool.functions.essAvailable().call())
    p6 = gov.proposal(
        [(pool, "fundEssProject", (1, a[8], 2, ess_left))],
        "P6: verser tout le compartiment ESS à l'épicerie",
        a[5],
    )
    out.proposals["defeated"] = gov.propose(p4, a[1])
    out.proposals["expired"] = gov.propose(p5, a[1])
    out.proposals["vetoed"] = gov.propose(p6, a[5])
    dao.travel(2)
    for voter, support in ((a[1], 1), (a[2], 0), (a[3], 0), (a[5], 0), (a[0], 1)):
        dao.send(governor, "castVote", out.proposals["defeated"], support, sender=voter)
    for voter in (a[1], a[3], a[5]):
        dao.send(governor, "castVote", out.proposals["expired"], 1, sender=voter)
    dao.send(governor, "castVoteWithReason", out.proposals["vetoed"], 1, "tout pour l'épicerie", sender=a[5])
    gov.guardian_cancel(p6, GUARDIAN_REASON)
    dao.travel(301)
    gov.step("queue", p5, a[1])
    # Nobody executes P5: once its ETA plus the grace period (P1's, in force at its snapshot)
    # has passed, it is Expired for good. The invitation of 7 by 2 expires meanwhile.
    dao.travel(60 + GRACE + 1)

    # A funding voted for project 4's wallet, voided when the owner changes the wallet (which
    # switches the project off until a new vote): it succeeds, yet can never pay.
    wallet = registry.functions.payoutOf(4).call()
    p7 = gov.proposal(
        [(pool, "fundEssProject", (4, wallet[0], wallet[2], 3 * EUR))], "P7: financer la ressourcerie", a[1]
    )
    out.proposals["succeeded"] = gov.propose(p7, a[1])
    dao.travel(2)
    for voter in a[1:4]:
        dao.send(governor, "castVote", out.proposals["succeeded"], 1, sender=voter)
    dao.send(
        registry, "updateProject", 4, a[9], data_uri(fourth), keccak(fourth), sender=a[3]
    )  # same metadata
    dao.travel(301)

    # A proposal still open, and last a newcomer that joins now: in probation at the last block.
    p8 = gov.proposal([(pool, "setMinRelationFee", (9 * EUR,))], "P8: en cours", a[5])
    out.proposals["active"] = gov.propose(p8, a[5])
    dao.travel(2)
    dao.send(governor, "castVoteWithReason", out.proposals["active"], 1, "oui", sender=a[1])
    dao.send(membership, "invite", a[7], ABEILLE, sender=a[3])
    dao.send(membership, "acceptInvitation", a[3], ABEILLE, sender=a[7])
    out.in_probation = a[7]

    out.states = {
        "executed": "executed",
        "guardian": "executed",
        "canceled": "canceled",
        "defeated": "defeated",
        "expired": "expired",
        "vetoed": "canceled",
        "succeeded": "succeeded",
        "active": "active",
    }
    out.projects = {"funded": 1, "deactivated": 2, "awaiting": 3, "wallet_changed": 4}
    return out
