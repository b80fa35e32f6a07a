"""The ESS directory (search, territory, theme, legal form, fundings), governance (states,
tallies, quorum, votes) and the member network, checked against the chain and the scenario."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.helpers import World, get, pages, units

STATES = ("pending", "active", "canceled", "defeated", "succeeded", "queued", "expired", "executed")


def ids(body: dict[str, Any]) -> list[str]:
    """Project ids of a directory page."""
    return [p["id"] for p in body["items"]]


def test_directory_search_finds_the_right_projects(client: TestClient, world: World) -> None:
    everything = get(client, "/ess/projects", sort="id")
    assert ids(everything) == ["1", "2", "3", "4"]
    statuses = {p["id"]: p["metadata_status"] for p in everything["items"]}
    assert statuses == {str(k): v for k, v in world.outcome.metadata_status.items()}
    # Accent- and case-insensitive full text; several words must all match.
    assert ids(get(client, "/ess/projects", q="EPICERIE")) == ["1", "4"]
    assert ids(get(client, "/ess/projects", q="épicerie canal")) == ["1"]
    assert ids(get(client, "/ess/projects", q="ressourcerie")) == ["4"]
    assert ids(get(client, "/ess/projects", q="boulangerie")) == []
    # Projects whose metadata did not match their hash show nothing searchable.
    assert ids(get(client, "/ess/projects", q="other")) == []
    # Territory: the documents declare communes 75056 (Paris) and 93066 (Saint-Denis).
    assert ids(get(client, "/ess/projects", department="93", sort="id")) == ["1", "4"]
    assert ids(get(client, "/ess/projects", department="75056", sort="id")) == ["1", "4"]
    assert ids(get(client, "/ess/projects", region="11", sort="id")) == ["1", "4"]
    assert ids(get(client, "/ess/projects", region="84")) == []
    assert ids(get(client, "/ess/projects", department="69")) == []
    assert ids(get(client, "/ess/projects", theme="Insertion", sort="id")) == ["1", "4"]
    assert ids(get(client, "/ess/projects", theme="culture")) == []
    assert ids(get(client, "/ess/projects", legal_form="ASSOCIATION", sort="id")) == ["1", "4"]
    assert ids(get(client, "/ess/projects", legal_form="coopérative")) == []
    # Only the first project is active: the second was switched off, the third never activated,
    # the fourth's wallet changed since its activation.
    assert ids(get(client, "/ess/projects", active="false", sort="id")) == ["2", "3", "4"]
    assert ids(get(client, "/ess/projects", awaiting_activation="true", sort="id")) == ["3", "4"]
    assert ids(get(client, "/ess/projects", awaiting_activation="false", sort="id")) == ["1", "2"]
    assert ids(get(client, "/ess/projects", q="epicerie", active="true", region="11", sort="id")) == ["1"]
    first = get(client, "/ess/projects", q="canal")["items"][0]
    assert first["name"] == "Épicerie du Canal — 2e site"
    assert {t["department"] for t in first["territories"]} == {"75", "93"}
    assert {t["region_name"] for t in first["territories"]} == {"Île-de-France"}
    facets = get(client, "/ess/facets")
    assert {f["value"]: f["count"] for f in facets["themes"]} == {"insertion": 2, "alimentation": 2}
    assert {f["label"] for f in facets["regions"]} == {"Île-de-France"}


def test_project_with_its_fundings(client: TestClient, world: World) -> None:
    registry = world.dao.registry
    project = get(client, "/ess/projects/1")
    owner, active, version, wallet, metadata_hash, _uri = registry.functions.projectOf(1).call()
    assert (project["owner"], project["active"], project["payout_wallet"]) == (owner, active, wallet)
    assert (project["wallet_version"], project["inactive_reason"], project["awaiting_activation"]) == (
        version,
        None,
        False,
    )
    assert project["metadata_hash"] == "0x" + metadata_hash.hex()
    assert units(project["funded_total"]) == 5 * 10**6
    (funding,) = project["fundings"]
    assert units(funding["amount"]) == 5 * 10**6
    assert funding["proposal_id"] == str(world.outcome.proposals["executed"])
    assert [h["kind"] for h in project["history"]][-1] == "registered"
    assert pages(client, "/ess/projects/1/fundings", limit=1) == project["fundings"]
    assert get(client, "/ess/projects/3")["metadata_error"]


def test_proposals_match_the_governor(client: TestClient, world: World) -> None:
    governor = world.dao.governor
    listed = get(client, "/governance/proposals")
    assert listed["page"]["total"] == len(world.outcome.proposals) == 8
    created = [p["created_block"] for p in listed["items"]]
    assert created == sorted(created, reverse=True)
    for label, proposal_id in world.outcome.proposals.items():
        body = get(client, f"/governance/proposals/{proposal_id}")
        assert body["id"] == str(proposal_id)
        expected = world.outcome.states[label]
        assert body["state"] == STATES[governor.functions.state(proposal_id).call()] == expected
        against, for_, abstain = governor.functions.proposalVotes(proposal_id).call()
        tally = body["tally"]
        assert (int(tally["against_votes"]), int(tally["for_votes"]), int(tally["abstain_votes"])) == (
            against,
            for_,
            abstain,
        )
        snapshot = governor.functions.proposalSnapshot(proposal_id).call()
        assert int(body["quorum"]["required"]) == governor.functions.quorum(snapshot).call()
        assert (
            body["quorum"]["members_at_snapshot"]
            == world.dao.membership.functions.getPastTotalSupply(snapshot).call()
        )
        votes = get(client, f"/governance/proposals/{proposal_id}/votes", limit=200)
        assert votes["page"]["total"] == tally["voters"] == len(votes["items"])
        for vote in votes["items"]:
            assert governor.functions.hasVoted(proposal_id, vote["voter"]).call()
        in_state = get(client, "/governance/proposals", state=expected)
        same = {str(world.outcome.proposals[k]) for k, v in world.outcome.states.items() if v == expected}
        assert {p["id"] for p in in_state["items"]} == same
    executed = get(client, f"/governance/proposals/{world.outcome.proposals['executed']}")
    functions = [a["function"] for a in executed["actions"]]
    assert functions[:5] == [
        "activateProject",
        "activateProject",
        "activateProject",
        "fundEssProject",
        "deactivateProject",
    ]
    assert executed["actions"][3]["args"] == {
        "projectId": "1",
        "payoutWallet": world.dao.accounts[8],
        "walletVersion": "2",
        "amount": "5000000",
    }
    steps = [s["step"] for s in executed["timeline"]]
    assert steps == ["created", "voting_starts", "voting_ends", "queued", "executable", "executed"]
    assert all(s["done"] for s in executed["timeline"])
    assert executed["timeline"][-1]["tx_hash"]
    votes = get(client, f"/governance/proposals/{world.outcome.proposals['executed']}/votes")["items"]
    assert [v["support"] for v in votes] == ["for", "against", "abstain", "for", "for"]
    assert votes[0]["reason"] == "pour l'épicerie"
    against = get(
        client, f"/governance/proposals/{world.outcome.proposals['executed']}/votes", support="against"
    )
    assert [v["voter"] for v in against["items"]] == [world.dao.accounts[2]]
    assert [p["title"] for p in get(client, "/governance/proposals", q="EPICERIE")["items"]] == [
        "P6: verser tout le compartiment ESS à l'épicerie",
        "P1: financer l'épicerie, régler les paramètres, admettre et exclure",
    ]


def test_network_graph_and_summary(client: TestClient, world: World) -> None:
    a = world.dao.accounts
    summary = get(client, "/network/summary", period="day")
    assert summary["members"] == 8
    assert summary["active_members"] == world.dao.membership.functions.activeMemberCount().call()
    relations = len(world.dao.pool.events.RelationPaid.get_logs(from_block=0))
    assert summary["relations"] == relations
    assert summary["growth"][-1]["members"] == 8 and summary["growth"][-1]["relations_total"] == relations
    kinds = {k["kind"]: k["active"] + k["excluded"] for k in summary["by_kind"]}
    assert kinds == {"Pilote": 2, "Abeille": 4, "EssStructure": 2}
    graph = get(client, "/network/graph", limit=200)
    nodes = {n["id"] for n in graph["nodes"]}
    assert len(nodes) == 8
    for node in graph["nodes"]:  # matured + pending
        assert int(node["points"]) == world.dao.pool.functions.pointsOf(node["id"]).call()
    for edge in graph["edges"]:
        assert edge["source"] in nodes and edge["target"] in nodes
    relation_edges = [e for e in graph["edges"] if e["type"] == "relation"]
    assert sum(e["count"] for e in relation_edges) == relations
    assert sum(units(e["amount"]) for e in relation_edges) == units(summary["relations_amount"])
    sponsorship = {(e["source"], e["target"]) for e in graph["edges"] if e["type"] == "sponsorship"}
    assert (a[1], a[5]) in sponsorship and (a[2], a[6]) in sponsorship
    small = get(client, "/network/graph", limit=2, edges="relations")
    assert small["page"]["next_offset"] == 2 and len(small["nodes"]) == 2
    assert all(e["type"] == "relation" for e in small["edges"])
    ego = get(client, "/network/graph", center=a[5])
    assert ego["nodes"][0]["id"] == a[5]
    assert {a[1], a[6], a[8]} <= {n["id"] for n in ego["nodes"]}
