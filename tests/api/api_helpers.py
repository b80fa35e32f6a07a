"""Helpers of the API tests."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient


def get(client: TestClient, path: str, **params: Any) -> Any:
    """GET `path` under /api/v1; asserts 200 and returns the JSON body."""
    response = client.get(f"/api/v1{path}", params=params)
    assert response.status_code == 200, (path, response.status_code, response.text[:500])
    return response.json()


def units(amount: dict[str, str]) -> int:
    """The integer of an `Amount`."""
    return int(amount["units"])


def pages(client: TestClient, path: str, **params: Any) -> list[Any]:
    """Every item of a cursor-paginated list."""
    items: list[Any] = []
    cursor = None
    while True:
        query = dict(params)
        if cursor:
            query["cursor"] = cursor
        body = get(client, path, **query)
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items
