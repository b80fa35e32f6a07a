"""Issue 11's figures through the API, each against the contracts' views at the indexed block:
probation and the refilling invitation allowance, invitations per (invitee, sponsor) with their
status, attesters and attestations, projects awaiting activation and wallet versions (a funding
a wallet change voided), expiring approvals, the guardian's cancellations with their reasons,
the quorum floor and the grace period, and the steward's budget."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from web3.logs import DISCARD

from tests.api.helpers import World, get, units
from tests.indexer.indexer_scenario import ATTESTED_ONLY, ATTESTER, GUARDIAN, GUARDIAN_REASON

ZERO = "0x0000000000000000000000000000000000000000"
KINDS = ("Pilote", "Abeille", "EssStructure")


def seconds(value: str | None) -> int:
    """Unix seconds of an API time (0 for null, as the contracts say "none")."""
    return 0 if value is None else int(datetime.fromisoformat(value).timestamp())


def at(world: World) -> dict[str, Any]:
    """Call views at the indexed block (the head: the world was indexed up to it)."""
    return {"block_identifier": world.dao.head()}


def test_members_probation_and_invitations_equal_the_chain(client: TestClient, world: World) -> None:
    dao = world.dao
    block = at(world)
    members = get(client, "/members", limit=200)["items"]
    assert len(members) == 8
    for member in members:
        address = member["address"]
        one = get(client, f"/members/{address}")
        record = dao.membership.functions.memberOf(address).call(**block)
        assert seconds(one["votes_from"]) == record[5], address
        counted = dao.membership.functions.getVotes(address).call(**block)
        assert one["can_vote"] == (counted == 1), address
        available, next_at = dao.membership.functions.invitationsAvailable(address).call(**block)
        assert (one["invitations_available"], seconds(one["next_invitation_at"])) == (available, next_at), (
            address
        )
        assert {k: member[k] for k in ("votes_from", "can_vote", "invitations_available")} == {
            k: one[k] for k in ("votes_from", "can_vote", "invitations_available")
        }
        for invitation in one["pending_invitations"]:
            assert invitation["sponsor"] == address
            sponsor, kind, expires = dao.membership.functions.invitationOf(
                invitation["invitee"], address
            ).call(**block)
            assert (sponsor, KINDS[kind], expires) == (
                address,
                invitation["kind"],
                seconds(invitation["expires_at"]),
            )
    # The newcomer that joined last is the one member in probation: no vote, no invitation yet.
    newcomer = get(client, f"/members/{world.outcome.in_probation}")
    assert newcomer["can_vote"] is False and newcomer["invitations_available"] == 0
    assert newcomer["next_invitation_at"] is not None
    assert seconds(newcomer["next_invitation_at"]) > seconds(newcomer["votes_from"])
    probation = get(client, "/members", in_probation="true")
    assert [m["address"] for m in probation["items"]] == [world.outcome.in_probation]
    assert get(client, "/members", in_probation="false")["page"]["total"] == 7
    # Founders vote from joining; the excluded member has no invitation left.
    founder = get(client, f"/members/{dao.accounts[1]}")
    assert founder["votes_from"] == founder["joined_at"] and founder["can_vote"] is True
    excluded = get(client, f"/members/{dao.accounts[6]}")
    assert (excluded["can_vote"], excluded["invitations_available"]) == (False, 0)


def test_invitations_with_their_status_equal_the_chain(client: TestClient, world: World) -> None:
    dao, a = world.dao, world.dao.accounts
    block = at(world)
    body = get(client, "/invitations", limit=200)
    items = body["items"]
    assert body["page"]["total"] == len(items) == 7
    for invitation in items:
        sponsor, kind, expires = dao.membership.functions.invitationOf(
            invitation["invitee"], invitation["sponsor"]
        ).call(**block)
        if invitation["status"] in ("live", "expired", "lapsed"):
            assert (sponsor, KINDS[kind]) == (invitation["sponsor"], invitation["kind"])
            assert expires == seconds(invitation["expires_at"])
        else:  # accepted or revoked: the chain forgot it (no other invitation of the pair since)
            assert (sponsor, expires) == (ZERO, 0), invitation
    statuses = sorted((i["status"], i["invitee"], i["sponsor"]) for i in items)
    assert statuses == sorted(
        [
            ("accepted", a[5], a[1]),
            ("accepted", a[6], a[2]),
            ("accepted", a[8], a[3]),
            ("accepted", a[7], a[3]),
            ("revoked", a[7], a[1]),
            ("revoked", a[0], a[1]),
            ("expired", a[7], a[2]),
        ]
    )
    revoked = {i["invitee"]: i["revoked_by"] for i in items if i["status"] == "revoked"}
    assert revoked == {a[7]: a[1], a[0]: dao.timelock.address}
    (expired,) = get(client, "/invitations", status="expired")["items"]
    assert (expired["invitee"], expired["sponsor"]) == world.outcome.expired_invitation
    assert seconds(expired["expires_at"]) <= dao.now()
    assert get(client, "/invitations", status="live")["items"] == []
    of_seven = get(client, "/invitations", invitee=a[7].lower())["items"]
    assert [i["sponsor"] for i in of_seven] == [a[3], a[2], a[1]]  # newest first
    assert {i["invitee"] for i in get(client, "/invitations", sponsor=a[1])["items"]} == {a[5], a[7], a[0]}
    first = get(client, "/invitations", limit=3)
    assert first["page"]["next_offset"] == 3 and first["items"] == items[:3]


def test_attesters_and_attestations_equal_the_chain(client: TestClient, world: World) -> None:
    dao = world.dao
    block = at(world)
    (attester,) = get(client, "/attesters")["items"]
    assert attester["address"] == ATTESTER
    assert attester["allowed"] is dao.membership.functions.isAttester(ATTESTER).call(**block) is True
    assert attester["attestations"] == 2
    attestations = {x["account"]: x for x in get(client, "/attestations")["items"]}
    assert set(attestations) == {dao.accounts[8], ATTESTED_ONLY}
    for account, attestation in attestations.items():
        assert dao.membership.functions.attestationOf(account).call(**block) == attestation["attester"]
        assert attestation["latest"] and attestation["counts"]
    assert attestations[dao.accounts[8]]["member"] is True
    assert attestations[ATTESTED_ONLY]["member"] is False
    assert get(client, "/attestations", account=ATTESTED_ONLY.lower())["page"]["total"] == 1
    assert get(client, "/attesters", allowed="false")["items"] == []


def test_projects_awaiting_activation_and_a_voided_funding(client: TestClient, world: World) -> None:
    dao = world.dao
    block = at(world)
    projects = {p["id"]: p for p in get(client, "/ess/projects", sort="id")["items"]}
    for project_id, project in projects.items():
        wallet, active, version = dao.registry.functions.payoutOf(int(project_id)).call(**block)
        assert (project["payout_wallet"], project["active"], project["wallet_version"]) == (
            wallet,
            active,
            version,
        )
    reasons = {k: (p["inactive_reason"], p["awaiting_activation"]) for k, p in projects.items()}
    assert reasons == {
        "1": (None, False),
        "2": ("deactivated", False),
        "3": ("registered", True),
        "4": ("wallet_changed", True),
    }
    changed = get(client, "/ess/projects/4")
    funding = next(p for p in changed["payouts"] if p["function"] == "fundEssProject")
    assert funding["proposal_id"] == str(world.outcome.proposals["succeeded"])
    assert (funding["proposal_state"], funding["wallet_version"], funding["void"]) == ("succeeded", 1, True)
    assert units(funding["amount"]) == 3 * 10**6 and funding["payout_wallet"] == dao.accounts[3]
    # the activation of version 1 was executed: done, not void
    activation = next(p for p in changed["payouts"] if p["function"] == "activateProject")
    assert (activation["proposal_state"], activation["void"]) == ("executed", False)
    assert [(h["kind"], h["wallet_version"]) for h in changed["history"]][:2] == [
        ("updated", 2),
        ("status", None),
    ]
    proposal = get(client, f"/governance/proposals/{world.outcome.proposals['succeeded']}")
    assert proposal["void"] is True
    payout = proposal["actions"][0]["payout"]
    assert (payout["project_id"], payout["wallet_version"], payout["current_wallet_version"]) == ("4", 1, 2)
    assert payout["void"] is True
    executed = get(client, f"/governance/proposals/{world.outcome.proposals['executed']}")
    assert executed["void"] is False
    assert [a["payout"] is not None for a in executed["actions"][:5]] == [True, True, True, True, False]


def test_expiring_approvals_and_the_guardian(client: TestClient, world: World) -> None:
    governor = world.dao.governor
    block = at(world)
    outcome = world.outcome
    for label, proposal_id in outcome.proposals.items():
        body = get(client, f"/governance/proposals/{proposal_id}")
        assert seconds(body["expires_at"]) == governor.functions.proposalExpiresAt(proposal_id).call(**block)
        assert body["state"] == outcome.states[label]
        snapshot = governor.functions.proposalSnapshot(proposal_id).call(**block)
        assert int(body["quorum"]["required"]) == governor.functions.quorum(snapshot).call(**block)
        assert (body["guardian_cancellation"] is not None) == (label == "vetoed")
    expired = get(client, "/governance/proposals", state="expired")["items"]
    assert [p["id"] for p in expired] == [str(outcome.proposals["expired"])]
    detail = get(client, f"/governance/proposals/{outcome.proposals['expired']}")
    steps = {s["step"]: s for s in detail["timeline"]}
    assert steps["expires"]["done"] is True and steps["expires"]["time"] == detail["expires_at"]
    assert "executed" not in steps
    vetoed = get(client, f"/governance/proposals/{outcome.proposals['vetoed']}")
    assert vetoed["state"] == "canceled"
    cancellation = vetoed["guardian_cancellation"]
    assert (cancellation["guardian"], cancellation["reason"]) == (GUARDIAN, GUARDIAN_REASON)
    receipt = world.dao.w3.eth.get_transaction_receipt(cancellation["tx_hash"])
    (event,) = governor.events.ProposalCanceledByGuardian().process_receipt(receipt, errors=DISCARD)
    assert (event.args.proposalId, event.args.reason) == (outcome.proposals["vetoed"], GUARDIAN_REASON)
    listed = get(client, "/governance/guardian-cancellations")
    assert listed["page"]["total"] == 1
    (item,) = listed["items"]
    assert (item["proposal_id"], item["reason"], item["title"]) == (
        str(outcome.proposals["vetoed"]),
        GUARDIAN_REASON,
        "P6: verser tout le compartiment ESS à l'épicerie",
    )
    # The member in probation when it voted counted 0, as getPastVotes said.
    defeated = outcome.proposals["defeated"]
    snapshot = governor.functions.proposalSnapshot(defeated).call(**block)
    for vote in get(client, f"/governance/proposals/{defeated}/votes")["items"]:
        weight = world.dao.membership.functions.getPastVotes(vote["voter"], snapshot).call(**block)
        assert int(vote["weight"]) == weight


def test_governance_settings_and_the_steward_budget(client: TestClient, world: World) -> None:
    dao = world.dao
    block = at(world)
    settings = get(client, "/governance/settings")
    governor, membership = dao.governor, dao.membership
    assert settings["guardian"] == governor.functions.guardian().call(**block) == GUARDIAN
    assert settings["quorum_floor"] == governor.functions.quorumFloor().call(**block)
    assert settings["approval_grace_period"] == governor.functions.approvalGracePeriod().call(**block)
    assert settings["quorum_numerator"] == governor.functions.quorumNumerator().call(**block)
    assert settings["voting_delay"] == governor.functions.votingDelay().call(**block)
    assert settings["voting_period"] == governor.functions.votingPeriod().call(**block)
    rules = membership.functions.rules().call(**block)
    mine = (settings["probation"], settings["invitation_refill_period"], settings["invitation_cap"])
    assert (*mine, settings["invitation_ttl"]) == tuple(rules)
    assert units(settings["membership_fee"]) == membership.functions.membershipFee().call(**block)
    assert (settings["attesters"], settings["members_in_probation"]) == (1, 1)
    budget = get(client, "/pool")["steward_budget"]
    amount, period, start, spent = dao.pool.functions.collectiveBudget().call(**block)
    assert (
        units(budget["amount"]),
        budget["period"],
        seconds(budget["period_start"]),
        units(budget["spent"]),
    ) == (
        amount,
        period,
        start,
        spent,
    )
    assert units(budget["left"]) == amount - spent and budget["spent"]["display"] == "3.00"
    assert seconds(budget["period_ends_at"]) == start + period
    figures = {f["name"]: f for f in get(client, "/reconciliation")["figures"]}
    for name in (
        "guardian",
        "quorum_floor",
        "approval_grace_period",
        "budget_spent",
        "budget_amount",
        "probation",
    ):
        assert figures[name]["status"] == "ok", figures[name]


def test_bad_parameters_of_the_new_routes_are_422(client: TestClient) -> None:
    for path, word in (
        ("/api/v1/invitations?status=pending", "status"),
        ("/api/v1/invitations?invitee=0x12", "invitee"),
        ("/api/v1/invitations?limit=0", "limit"),
        ("/api/v1/attestations?account=nobody", "account"),
        ("/api/v1/attesters?allowed=maybe", "allowed"),
        ("/api/v1/members?in_probation=perhaps", "in_probation"),
        ("/api/v1/ess/projects?awaiting_activation=soon", "awaiting_activation"),
        ("/api/v1/governance/guardian-cancellations?offset=-3", "offset"),
    ):
        response = client.get(path)
        assert response.status_code == 422, path
        assert response.headers["content-type"] == "application/json"
        detail = response.json()["detail"]
        assert isinstance(detail, str) and word in detail, (path, detail)
