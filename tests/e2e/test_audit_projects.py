"""`cmir audit --api` over the ESS projects (with their metadata documents, fetched and checked by
the auditor), their fundings, every relation and the pool's history, on a `make up` stack: the
untouched mirror reconciles; one row altered in any table the API reads for them (ess_projects,
ess_project_changes, ess_fundings, proposal_payouts, relations, bucket_snapshots, inflows) makes
the audit exit 1 and name the resource, the id and the field."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests.e2e.helpers import Stack
from tests.e2e.tamper import assert_caught, audit_api, row, tampered

pytestmark = pytest.mark.e2e

OTHER = "0x000000000000000000000000000000000000dEaD"


def test_the_untouched_mirror_reconciles(stack: Stack) -> None:
    stack.wait_mirrored()
    done = audit_api(stack)
    assert done.code == 0, done.text[-4000:]
    assert "RECONCILED" in done.out
    assert "DIFF" not in done.out
    for resource in ("ESS projects", "fundings", "ESS facets", "relations", "pool history"):
        assert resource in done.out, done.out[-3000:]


def test_a_projects_payout_wallet_is_named(stack: Stack) -> None:
    project = row(stack, "SELECT project_id, payout_wallet FROM ess_projects WHERE active = 1 LIMIT 1")
    where = {"project_id": project["project_id"]}
    with tampered(stack, "ess_projects", where, {"payout_wallet": OTHER}):
        done = audit_api(stack)
    assert_caught(
        done,
        f"ESS project {project['project_id']}: payout_wallet API {OTHER} != chain {project['payout_wallet']}",
    )


def test_a_projects_metadata_hash_is_named(stack: Stack) -> None:
    project = row(
        stack, "SELECT project_id, metadata_hash FROM ess_projects WHERE metadata_status = 'ok' LIMIT 1"
    )
    forged = "0x" + "ab" * 32
    with tampered(stack, "ess_projects", {"project_id": project["project_id"]}, {"metadata_hash": forged}):
        done = audit_api(stack)
    assert_caught(
        done,
        f"ESS project {project['project_id']}: metadata_hash API {forged} "
        f"!= chain {project['metadata_hash']}",
    )


def test_a_doctored_metadata_document_is_named_against_the_one_the_auditor_fetched(stack: Stack) -> None:
    project = row(  # a funded one: the Sankey graph names it
        stack,
        "SELECT project_id, metadata_doc FROM ess_projects WHERE metadata_status = 'ok' "
        "ORDER BY funding_count DESC, project_id LIMIT 1",
    )
    document = json.loads(project["metadata_doc"])
    doctored = {**document, "name": "Projet fantôme", "themes": ["finance fantôme"]}
    where = {"project_id": project["project_id"]}
    with tampered(stack, "ess_projects", where, {"metadata_doc": json.dumps(doctored)}):
        done = audit_api(stack)
    assert_caught(
        done, f"ESS project {project['project_id']}: name API Projet fantôme != chain {document['name']}"
    )
    assert_caught(done, "ESS facet themes 'finance fantome': count API 1 != chain None")
    assert_caught(done, f"sankey node project:{project['project_id']}", "label API Projet fantôme")


def test_a_project_change_is_named(stack: Stack) -> None:
    change = row(
        stack,
        "SELECT block_number, log_index, project_id, payout_wallet FROM ess_project_changes "
        "WHERE kind = 'registered' LIMIT 1",
    )
    where = {"block_number": change["block_number"], "log_index": change["log_index"]}
    with tampered(stack, "ess_project_changes", where, {"payout_wallet": OTHER}):
        done = audit_api(stack)
    position = f"{change['block_number']}-{change['log_index']}"
    assert_caught(
        done,
        f"ESS project {change['project_id']} change {position}: payout_wallet API {OTHER} "
        f"!= chain {change['payout_wallet']}",
    )


def test_a_fundings_amount_is_named(stack: Stack) -> None:
    funding = row(stack, "SELECT block_number, log_index, project_id, amount FROM ess_fundings LIMIT 1")
    where = {"block_number": funding["block_number"], "log_index": funding["log_index"]}
    more = int(funding["amount"]) + 1
    with tampered(stack, "ess_fundings", where, {"amount": more}):
        done = audit_api(stack)
    position = f"{funding['block_number']}-{funding['log_index']}"
    assert_caught(
        done,
        f"funding {position} of ESS project {funding['project_id']}: amount API {more} "
        f"!= chain {funding['amount']}",
    )
    assert_caught(done, f"ESS project {funding['project_id']} funding {position}: amount API {more}")


def test_a_proposals_payout_is_named(stack: Stack) -> None:
    payout = row(
        stack,
        "SELECT block_number, log_index, action_index, proposal_id, project_id, amount FROM proposal_payouts "
        "WHERE function = 'fundEssProject' LIMIT 1",
    )
    where = {
        "block_number": payout["block_number"],
        "log_index": payout["log_index"],
        "action_index": payout["action_index"],
    }
    more = int(payout["amount"]) * 10
    with tampered(stack, "proposal_payouts", where, {"amount": more}):
        done = audit_api(stack)
    key = f"{int(payout['proposal_id'])}#{payout['action_index']}"
    assert_caught(
        done,
        f"ESS project {payout['project_id']} payout {key}: amount API {more} != chain {payout['amount']}",
    )


def test_a_relations_payer_and_payer_sponsor_are_named(stack: Stack) -> None:
    relation = row(
        stack,
        "SELECT block_number, log_index, payer, counterparty, payer_sponsor FROM relations "
        "WHERE payer_sponsor IS NOT NULL LIMIT 1",
    )
    other = row(
        stack,
        "SELECT address FROM members WHERE joined_at IS NOT NULL AND address NOT IN (?, ?, ?) LIMIT 1",
        relation["payer"],
        relation["counterparty"],
        relation["payer_sponsor"],
    )["address"]
    where = {"block_number": relation["block_number"], "log_index": relation["log_index"]}
    with tampered(stack, "relations", where, {"payer": other, "payer_sponsor": OTHER}):
        done = audit_api(stack)
    position = f"{relation['block_number']}-{relation['log_index']}"
    assert_caught(done, f"relation {position}: payer API {other} != chain {relation['payer']}")
    assert_caught(
        done, f"relation {position}: payer_sponsor API {OTHER} != chain {relation['payer_sponsor']}"
    )


def test_a_bucket_snapshots_figure_is_named(stack: Stack) -> None:
    # The API's series read the last snapshot of each day: the chain's last one is such.
    snapshot = row(
        stack,
        "SELECT block_number, log_index, block_time, total_received FROM bucket_snapshots "
        "ORDER BY block_number DESC, log_index DESC LIMIT 1",
    )
    where = {"block_number": snapshot["block_number"], "log_index": snapshot["log_index"]}
    more = int(snapshot["total_received"]) + 1_000_000
    with tampered(stack, "bucket_snapshots", where, {"total_received": more}):
        done = audit_api(stack)
    day = datetime.fromtimestamp(snapshot["block_time"], UTC).date().isoformat()
    assert_caught(
        done, f"pool history day {day}: total_received API {more} != chain {snapshot['total_received']}"
    )
    assert_caught(done, f"social-utility day {day}: allocated_ratio.denominator API {more}")
    assert_caught(done, f"flow totals day {day}: inflow API")


def test_an_inflows_split_is_named_in_the_sankey_graph(stack: Stack) -> None:
    inflow = row(
        stack,
        "SELECT block_number, log_index, to_ess FROM inflows WHERE kind = 'relation' AND to_ess > 0 LIMIT 1",
    )
    where = {"block_number": inflow["block_number"], "log_index": inflow["log_index"]}
    with tampered(stack, "inflows", where, {"to_ess": int(inflow["to_ess"]) + 5}):
        done = audit_api(stack)
    assert_caught(done, "sankey link in:relation -> bucket:ess: value API")
