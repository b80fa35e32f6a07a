"""The audit checks governance as the API serves it: on a fresh `make up` the unaltered mirror
reconciles; then one row of each table the API reads for proposals, votes, the guardian's
cancellations and the governed settings is altered (votes, proposals, proposal_payouts,
proposal_changes, parameter_changes, ess_projects, members, attesters, dao_state) and the audit
exits 1 naming the resource, the record and the field."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.helpers import Stack
from tests.e2e.tamper import assert_caught, audit_api, row, tampered

pytestmark = pytest.mark.e2e

#: A transaction hash no transaction of the demo has.
FAKE_TX = "0x" + "ab" * 32


@pytest.fixture(scope="module")
def mirrored(stack: Stack) -> Stack:
    """The session's stack, its mirror at the chain's head."""
    stack.wait_mirrored()
    return stack


def _id(value: Any) -> str:
    """A proposal id as the audit names it (the mirror keeps large ones as padded text)."""
    return str(int(value))


def test_unaltered_mirror_reconciles(mirrored: Stack) -> None:
    done = audit_api(mirrored)
    assert done.code == 0, done.text[-3000:]
    for resource in ("proposals", "votes", "guardian cancellations", "governance settings"):
        assert resource in done.out, done.out[-3000:]
    assert "DIFF" not in done.out


def test_a_flipped_vote_is_named(mirrored: Stack) -> None:
    vote = row(mirrored, "SELECT * FROM votes WHERE support = 1 ORDER BY block_number LIMIT 1")
    where = {"block_number": vote["block_number"], "log_index": vote["log_index"]}
    with tampered(mirrored, "votes", where, {"support": 0}):
        done = audit_api(mirrored)
    assert_caught(
        done, f"vote {_id(vote['proposal_id'])}/{vote['voter']}", "support API against != chain for"
    )


def test_a_vote_weight_is_named(mirrored: Stack) -> None:
    vote = row(mirrored, "SELECT * FROM votes WHERE weight = 1 ORDER BY block_number DESC LIMIT 1")
    where = {"block_number": vote["block_number"], "log_index": vote["log_index"]}
    with tampered(mirrored, "votes", where, {"weight": 3}):
        done = audit_api(mirrored)
    assert_caught(done, f"vote {_id(vote['proposal_id'])}/{vote['voter']}", "weight API 3 != chain 1")


def test_a_proposal_state_is_named(mirrored: Stack) -> None:
    proposal = row(mirrored, "SELECT * FROM proposals WHERE status = 'executed' LIMIT 1")
    with tampered(mirrored, "proposals", {"proposal_id": proposal["proposal_id"]}, {"status": "canceled"}):
        done = audit_api(mirrored)
    assert_caught(done, f"proposal {_id(proposal['proposal_id'])}:", "state API canceled != chain executed")


def test_a_proposal_proposer_is_named(mirrored: Stack) -> None:
    proposal = row(mirrored, "SELECT * FROM proposals ORDER BY created_block DESC LIMIT 1")
    other = row(mirrored, "SELECT address FROM members WHERE address != ? LIMIT 1", proposal["proposer"])
    with tampered(
        mirrored, "proposals", {"proposal_id": proposal["proposal_id"]}, {"proposer": other["address"]}
    ):
        done = audit_api(mirrored)
    assert_caught(
        done,
        f"proposal {_id(proposal['proposal_id'])}:",
        f"proposer API {other['address']}",
        proposal["proposer"],
    )


def test_a_proposal_tally_is_named(mirrored: Stack) -> None:
    proposal = row(mirrored, "SELECT * FROM proposals WHERE for_votes > 0 ORDER BY created_block LIMIT 1")
    votes = int(proposal["for_votes"])
    with tampered(mirrored, "proposals", {"proposal_id": proposal["proposal_id"]}, {"for_votes": votes + 7}):
        done = audit_api(mirrored)
    assert_caught(
        done, f"proposal {_id(proposal['proposal_id'])}:", f"tally.for_votes API {votes + 7} != chain {votes}"
    )


def test_a_payout_amount_is_named(mirrored: Stack) -> None:
    payout = row(
        mirrored,
        "SELECT * FROM proposal_payouts WHERE function = 'fundEssProject' ORDER BY block_number LIMIT 1",
    )
    where = {
        "block_number": payout["block_number"],
        "log_index": payout["log_index"],
        "action_index": payout["action_index"],
    }
    amount = int(payout["amount"])
    with tampered(mirrored, "proposal_payouts", where, {"amount": amount * 10}):
        done = audit_api(mirrored)
    assert_caught(
        done,
        f"proposal {_id(payout['proposal_id'])}:",
        f"actions[{payout['action_index']}].payout.amount API {amount * 10} != chain {amount}",
    )


def test_a_project_wallet_version_a_proposal_names_is_named(mirrored: Stack) -> None:
    """The registry's wallet version now, beside an open proposal's funding (which it voids)."""
    payout = row(
        mirrored,
        "SELECT pp.* FROM proposal_payouts pp JOIN proposals p ON p.proposal_id = pp.proposal_id"
        " WHERE p.status = 'created' ORDER BY p.created_block DESC LIMIT 1",
    )
    project = row(mirrored, "SELECT * FROM ess_projects WHERE project_id = ?", payout["project_id"])
    version = int(project["wallet_version"])
    with tampered(
        mirrored, "ess_projects", {"project_id": project["project_id"]}, {"wallet_version": version + 1}
    ):
        done = audit_api(mirrored)
    assert_caught(
        done,
        f"proposal {_id(payout['proposal_id'])}:",
        f"actions[{payout['action_index']}].payout.current_wallet_version",
        f"API {version + 1} != chain {version}",
    )


def test_a_timeline_step_is_named(mirrored: Stack) -> None:
    change = row(
        mirrored, "SELECT * FROM proposal_changes WHERE state = 'queued' ORDER BY block_number LIMIT 1"
    )
    where = {"block_number": change["block_number"], "log_index": change["log_index"]}
    with tampered(mirrored, "proposal_changes", where, {"tx_hash": FAKE_TX}):
        done = audit_api(mirrored)
    assert_caught(
        done,
        f"proposal {_id(change['proposal_id'])}:",
        f"timeline.queued.tx_hash API {FAKE_TX}",
        change["tx_hash"],
    )


def test_a_quorum_numerator_in_force_is_named(mirrored: Stack) -> None:
    change = row(
        mirrored,
        "SELECT * FROM parameter_changes WHERE parameter = 'quorum_numerator' ORDER BY block_number LIMIT 1",
    )
    where = {"block_number": change["block_number"], "log_index": change["log_index"]}
    numerator = int(change["new_value"])
    with tampered(mirrored, "parameter_changes", where, {"new_value": numerator + 10}):
        done = audit_api(mirrored)
    assert_caught(done, "proposal ", f"quorum.quorum_numerator API {numerator + 10} != chain {numerator}")


def test_a_guardian_cancellation_reason_is_named(mirrored: Stack) -> None:
    proposal = row(mirrored, "SELECT * FROM proposals WHERE canceled_by_guardian IS NOT NULL LIMIT 1")
    doctored = "Annulée à la demande du proposant."
    with tampered(
        mirrored, "proposals", {"proposal_id": proposal["proposal_id"]}, {"cancel_reason": doctored}
    ):
        done = audit_api(mirrored)
    assert_caught(done, f"guardian cancellation {_id(proposal['proposal_id'])}:", f"reason API {doctored}")


def test_a_governance_setting_is_named(mirrored: Stack) -> None:
    state = row(mirrored, "SELECT chain_id, quorum_floor, voting_period FROM dao_state")
    floor = int(state["quorum_floor"])
    with tampered(mirrored, "dao_state", {"chain_id": state["chain_id"]}, {"quorum_floor": floor + 1}):
        done = audit_api(mirrored)
    assert_caught(done, "governance settings:", f"quorum_floor API {floor + 1} != chain {floor}")


def test_an_attester_is_named_in_the_settings(mirrored: Stack) -> None:
    attester = row(mirrored, "SELECT * FROM attesters WHERE allowed = 1 LIMIT 1")
    count = int(row(mirrored, "SELECT count(*) AS n FROM attesters WHERE allowed = 1")["n"])
    with tampered(mirrored, "attesters", {"address": attester["address"]}, {"allowed": 0}):
        done = audit_api(mirrored)
    assert_caught(done, "governance settings:", f"attesters API {count - 1} != chain {count}")


def test_a_member_probation_is_named_in_the_settings(mirrored: Stack) -> None:
    """A member's end of probation moved years ahead: one more member in probation."""
    member = row(mirrored, "SELECT * FROM members WHERE status = 'active' ORDER BY votes_from LIMIT 1")
    with tampered(mirrored, "members", {"address": member["address"]}, {"votes_from": 4_102_444_800}):
        done = audit_api(mirrored)
    assert_caught(done, "governance settings:", "members_in_probation API")
