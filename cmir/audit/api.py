"""The transparency API as the auditor reads it: `Api.get` (one route, with one-line errors),
`Api.items` (every item of a paginated list, offset or cursor), `Api.get_many` and `parallel`
(several requests at once, never one after the other in a loop), and `snapshot` (the block the
API holds, with its pool figures)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import msgspec
import requests

from cmir.audit.chain import AuditError

#: Items per page (the API's largest page), and requests in flight at once.
PAGE = 200
THREADS = 4
#: Starts a progress line for a number of pages: -> advance(n).
Pages = Callable[[int], Callable[[int], None]]
T = TypeVar("T")
R = TypeVar("R")


def parallel(
    read: Callable[[T], R],
    args: Iterable[T],
    threads: int = THREADS,
    *,
    tolerant: bool = False,
    advance: Callable[[int], None] | None = None,
) -> list[Any]:
    """`read(arg)` of each of `args`, `threads` at once, answered in order (`advance(1)` as each
    comes). With `tolerant`, a read that fails with an AuditError gives that error in its place (a
    route the API lists but does not serve is a difference, not the end of the audit); else the
    first such error is raised."""

    def attempt(arg: T) -> R | AuditError:
        try:
            return read(arg)
        except AuditError as error:
            if not tolerant:
                raise
            return error

    answers: list[Any] = []
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for answer in pool.map(attempt, args):
            answers.append(answer)
            if advance is not None:
                advance(1)
    return answers


class Api:
    """The API's JSON, with one-line errors."""

    def __init__(self, base: str, timeout: float = 30.0) -> None:
        self.base = base.rstrip("/")
        if not self.base.endswith("/api/v1"):
            self.base += "/api/v1"
        self.session = requests.Session()
        # A connection per request: a server of several processes sharing one port
        # (SO_REUSEPORT) spreads connections, not requests; kept-alive ones would pile the
        # audit's thousands of requests onto one or two of its processes.
        self.session.headers["Connection"] = "close"
        self._prefetched: dict[tuple[str, str], Future[list[dict[str, Any]]]] = {}
        self._prefetcher = ThreadPoolExecutor(max_workers=2, thread_name_prefix="api-prefetch")
        self.timeout = timeout

    def get(self, path: str, **params: Any) -> Any:
        """GET a route; non-200 raises AuditError."""
        url = f"{self.base}{path}"
        try:
            response = self.session.get(
                url, params={k: v for k, v in params.items() if v is not None}, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise AuditError(f"API {url} unreachable: {exc}") from None
        if response.status_code != 200:
            raise AuditError(f"API {url} answered {response.status_code}: {response.text[:200]}")
        try:
            return msgspec.json.decode(response.content)  # several times faster than json
        except msgspec.DecodeError as exc:
            raise AuditError(f"API {url} answered something that is not JSON: {exc}") from None

    def get_many(
        self,
        paths: Iterable[str],
        threads: int = THREADS,
        *,
        tolerant: bool = False,
        advance: Callable[[int], None] | None = None,
    ) -> list[Any]:
        """Several GETs at once, answered in order (`parallel`: with `tolerant`, a failed one's
        AuditError in its place)."""
        return parallel(self.get, paths, threads, tolerant=tolerant, advance=advance)

    def prefetch(self, path: str, **params: Any) -> None:
        """Start reading every page of a list in the background (while the chain is read, the
        API's processes would otherwise wait); `pages` with the same arguments hands them on."""
        key = (path, repr(sorted(params.items())))
        self._prefetched[key] = self._prefetcher.submit(lambda: list(self._pages(path, None, **params)))

    def pages(self, path: str, progress: Pages | None = None, **params: Any) -> Iterator[dict[str, Any]]:
        """Every page of a paginated list, in order (`prefetch`ed or read now: `_pages`)."""
        future = self._prefetched.pop((path, repr(sorted(params.items()))), None)
        if future is not None:
            yield from future.result()
            return
        yield from self._pages(path, progress, **params)

    def _pages(self, path: str, progress: Pages | None = None, **params: Any) -> Iterator[dict[str, Any]]:
        """Every page of a paginated list, in order. Offset pages (``page.total``): the first,
        then all the others at once (`progress`, given their number, may start a progress line);
        cursor pages (``next_cursor``): one after the other, each handed on as it comes."""
        first = self.get(path, limit=PAGE, offset=0, **params)
        yield first
        if "next_cursor" in first:
            cursor = first["next_cursor"]
            while cursor:
                page = self.get(path, limit=PAGE, cursor=cursor, **params)
                yield page
                cursor = page.get("next_cursor")
            return
        offsets = range(PAGE, int(first["page"]["total"]), PAGE)
        advance = progress(len(offsets)) if progress is not None and offsets else None
        yield from parallel(
            lambda offset: self.get(path, limit=PAGE, offset=offset, **params), offsets, advance=advance
        )

    def items(self, path: str, progress: Pages | None = None, **params: Any) -> list[dict[str, Any]]:
        """Every item of a paginated list (`pages`)."""
        return [item for page in self.pages(path, progress, **params) for item in page["items"]]


def snapshot(api: Api, attempts: int = 10) -> tuple[int, str | None, dict[str, Any], dict[str, Any]]:
    """The API's block and its pool and social-utility figures, read at one indexed block."""
    for _ in range(attempts):
        pool = api.get("/pool")
        social = api.get("/social-utility")
        if pool["as_of"]["block"] == social["as_of"]["block"]:
            return int(pool["as_of"]["block"]), pool["as_of"].get("block_hash"), pool, social
        time.sleep(0.5)
    raise AuditError("the API's indexed block kept moving; retry when the indexer is idle")
