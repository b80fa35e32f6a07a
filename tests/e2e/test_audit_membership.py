"""`cmir audit --api` over the members, invitations, attesters, attestations and the member
network of a `make up` stack: the untouched mirror reconciles; one row altered in any table the
API reads for them (members, invitations, attesters, attestations, relations, dao_state) makes
the audit exit 1 and name the resource, the address and the field."""

from __future__ import annotations

import pytest

from tests.e2e.helpers import Stack
from tests.e2e.tamper import assert_caught, audit_api, row, tampered

pytestmark = pytest.mark.e2e

KINDS = ("Pilote", "Abeille", "EssStructure")


def test_the_untouched_mirror_reconciles(stack: Stack) -> None:
    stack.wait_mirrored()
    done = audit_api(stack)
    assert done.code == 0, done.text[-4000:]
    assert "RECONCILED" in done.out
    assert "DIFF" not in done.out


def test_a_members_kind_is_named(stack: Stack) -> None:
    member = row(stack, "SELECT address, kind FROM members WHERE kind = 0 AND joined_at IS NOT NULL LIMIT 1")
    with tampered(stack, "members", {"address": member["address"]}, {"kind": 2}):
        done = audit_api(stack)
    assert_caught(done, f"member {member['address']}: kind API EssStructure != chain Pilote")
    assert_caught(done, f"network node {member['address']}: kind API EssStructure")


def test_a_members_sponsor_is_named(stack: Stack) -> None:
    member = row(stack, "SELECT address, sponsor FROM members WHERE sponsor IS NOT NULL LIMIT 1")
    other = row(
        stack,
        "SELECT address FROM members WHERE address NOT IN (?, ?) LIMIT 1",
        member["address"],
        member["sponsor"],
    )
    with tampered(stack, "members", {"address": member["address"]}, {"sponsor": other["address"]}):
        done = audit_api(stack)
    assert_caught(
        done, f"member {member['address']}: sponsor API {other['address']} != chain {member['sponsor']}"
    )
    assert_caught(done, "network edge sponsorship", member["address"])


def test_a_members_points_are_named(stack: Stack) -> None:
    member = row(
        stack,
        "SELECT address, matured_points FROM members WHERE matured_points > 0 AND pending_points = 0 "
        "AND status = 'active' LIMIT 1",
    )
    more = int(member["matured_points"]) + 7
    with tampered(stack, "members", {"address": member["address"]}, {"matured_points": more}):
        done = audit_api(stack)
    assert_caught(done, f"member {member['address']}: matured_points API {more}")
    assert_caught(done, f"network node {member['address']}: points")


def test_an_exclusion_reason_is_named_from_the_member_detail(stack: Stack) -> None:
    member = row(stack, "SELECT address FROM members WHERE status = 'excluded' LIMIT 1")
    with tampered(stack, "members", {"address": member["address"]}, {"exclusion_reason": "rien"}):
        done = audit_api(stack)
    assert_caught(done, f"member detail {member['address']}: exclusion_reason API rien")


def test_an_invitations_status_is_named(stack: Stack) -> None:
    invitation = row(
        stack, "SELECT block_number, log_index, invitee FROM invitations WHERE status = 'accepted' LIMIT 1"
    )
    where = {"block_number": invitation["block_number"], "log_index": invitation["log_index"]}
    with tampered(stack, "invitations", where, {"status": "revoked"}):
        done = audit_api(stack)
    assert_caught(done, f"invitation {invitation['invitee']} from", "status API revoked != chain accepted")


def test_an_attesters_status_is_named(stack: Stack) -> None:
    attester = row(stack, "SELECT address FROM attesters WHERE allowed = 1 LIMIT 1")
    with tampered(stack, "attesters", {"address": attester["address"]}, {"allowed": 0}):
        done = audit_api(stack)
    assert_caught(done, f"attester {attester['address']}: allowed API False != chain True")


def test_an_attestations_attester_is_named(stack: Stack) -> None:
    attestation = row(stack, "SELECT block_number, log_index, account, attester FROM attestations LIMIT 1")
    other = row(stack, "SELECT address FROM members WHERE address != ? LIMIT 1", attestation["attester"])
    where = {"block_number": attestation["block_number"], "log_index": attestation["log_index"]}
    with tampered(stack, "attestations", where, {"attester": other["address"]}):
        done = audit_api(stack)
    assert_caught(done, f"attestation {attestation['account']} by", f"attester API {other['address']}")


def test_a_relation_edge_of_the_graph_is_named(stack: Stack) -> None:
    relation = row(
        stack, "SELECT block_number, log_index, payer, counterparty, amount FROM relations LIMIT 1"
    )
    where = {"block_number": relation["block_number"], "log_index": relation["log_index"]}
    with tampered(stack, "relations", where, {"amount": int(relation["amount"]) + 1}):
        done = audit_api(stack)
    assert_caught(done, f"network edge relation {relation['payer']} -> {relation['counterparty']}: amount")


def test_the_invitation_rules_are_named_through_each_members_allowance(stack: Stack) -> None:
    state = row(stack, "SELECT chain_id, invitation_cap FROM dao_state")
    with tampered(stack, "dao_state", {"chain_id": state["chain_id"]}, {"invitation_cap": 1}):
        done = audit_api(stack)
    assert_caught(done, "member 0x", "invitations_available API")


def test_revoked_and_live_invitations_reconcile_and_a_revoker_is_named(stack: Stack) -> None:
    # Founder 5 and candidate 95: no other test uses them. An invitation revoked by its sponsor
    # (the sponsor gets it back), then a new one, live: statuses, allowance and counts move.
    sponsor, invitee = stack.account(5)["address"], stack.account(95)["address"]
    for step in (
        ("invite", invitee, "--kind", "Abeille"),
        ("revoke", invitee),
        ("invite", invitee, "--kind", "Pilote"),
    ):
        done = stack.cmir("member", *step, *stack.signer(5), "--yes")
        assert done.code == 0, done.text
    stack.wait_mirrored()
    honest = audit_api(stack)
    assert honest.code == 0, honest.text[-4000:]
    revoked = row(
        stack,
        "SELECT block_number, log_index, revoked_by FROM invitations "
        "WHERE invitee = ? AND status = 'revoked'",
        invitee,
    )
    assert revoked["revoked_by"] == sponsor
    where = {"block_number": revoked["block_number"], "log_index": revoked["log_index"]}
    operator = stack.account(0)["address"]
    with tampered(stack, "invitations", where, {"revoked_by": operator}):
        done = audit_api(stack)
    assert_caught(
        done, f"invitation {invitee} from {sponsor}", f"revoked_by API {operator} != chain {sponsor}"
    )
