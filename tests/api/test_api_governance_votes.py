"""``/governance/votes``: every proposal's votes in keyset pages (what `cmir audit` reads), the
same votes as each proposal's own list, in the order cast, and filtered by proposal."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.helpers import World, get


def _all(client: TestClient, path: str, **params: Any) -> list[Any]:
    """Every item of an offset-paginated list, `limit` at a time."""
    items: list[Any] = []
    offset: int | None = 0
    while offset is not None:
        body = get(client, path, offset=offset, **params)
        items += body["items"]
        offset = body["page"]["next_offset"]
    return items


def _walk(client: TestClient, **params: Any) -> list[Any]:
    """Every vote ``/governance/votes`` lists, following `next_cursor` page after page."""
    items: list[Any] = []
    cursor: str | None = None
    while True:
        body = get(client, "/governance/votes", **params, **({"cursor": cursor} if cursor else {}))
        assert len(body["items"]) <= body["limit"]
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
        assert cursor == f"{items[-1]['block_number']}-{items[-1]['log_index']}"


def test_every_vote_with_its_proposal_in_the_order_cast(client: TestClient, world: World) -> None:
    proposals = _all(client, "/governance/proposals", limit=200)
    assert proposals
    everything = _walk(client, limit=3)  # several pages
    assert len(everything) == sum(p["tally"]["voters"] for p in proposals) > 3
    positions = [(v["block_number"], v["log_index"]) for v in everything]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    for proposal in proposals:
        own = _all(client, f"/governance/proposals/{proposal['id']}/votes", limit=200)
        mine = [v for v in everything if v["proposal_id"] == proposal["id"]]
        assert [{k: v for k, v in vote.items() if k != "proposal_id"} for vote in mine] == own
        assert _walk(client, proposal=proposal["id"], limit=2) == mine
    executed = world.outcome.proposals["executed"]
    assert [v["support"] for v in everything if v["proposal_id"] == str(executed)] == [
        "for",
        "against",
        "abstain",
        "for",
        "for",
    ]


def test_votes_of_an_unknown_proposal_are_none_and_bad_filters_are_422(client: TestClient) -> None:
    body = get(client, "/governance/votes", proposal=12345)
    assert body["items"] == [] and body["next_cursor"] is None
    for query, word in (
        ("proposal=abc", "proposal"),
        ("cursor=12", "cursor"),
        (f"proposal={2**256}", "proposal"),
        ("limit=0", "limit"),
    ):
        response = client.get(f"/api/v1/governance/votes?{query}")
        assert response.status_code == 422, query
        assert word in response.json()["detail"], response.json()
