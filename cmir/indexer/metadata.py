"""Off-chain metadata of ESS projects: fetched from the project's URI (``data:``, ``file://``,
``http(s)://``) and kept only when its keccak-256 equals the hash registered on chain.

Fetching happens after a batch is committed, never inside it: the network must not slow down or
break the indexing transaction, and a project whose document cannot be fetched is marked
(``unreachable``, ``mismatch``, ``invalid`` or ``unsupported``) rather than blocking the mirror.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import logging
import socket
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from eth_utils.crypto import keccak
from sqlalchemy import Engine, or_, select, update

from cmir.store import EssProject

log = logging.getLogger(__name__)

PROJECTS = EssProject.__table__


class MetadataFetchError(Exception):
    """A document could not be fetched; ``status`` says how the project is marked."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class MetadataPolicy:
    """Where metadata may be fetched from, and how much of it."""

    timeout: float = 10.0
    max_bytes: int = 1_048_576
    file_root: Path | None = None
    allow_private_hosts: bool = False


def fetch_document(uri: str, policy: MetadataPolicy) -> bytes:
    """The bytes at `uri`, or `MetadataFetchError`."""
    scheme = uri.split(":", 1)[0].lower() if ":" in uri else ""
    if scheme == "data":
        return _data_uri(uri, policy)
    if scheme == "file":
        return _file_uri(uri, policy)
    if scheme in ("http", "https"):
        return _http(uri, policy)
    raise MetadataFetchError("unsupported", f"unsupported URI scheme {scheme!r}")


def _data_uri(uri: str, policy: MetadataPolicy) -> bytes:
    header, _, payload = uri[5:].partition(",")
    if not _:
        raise MetadataFetchError("invalid", "malformed data: URI")
    if header.endswith(";base64"):
        try:
            content = base64.b64decode(payload, validate=True)
        except ValueError as exc:
            raise MetadataFetchError("invalid", f"bad base64 in data: URI: {exc}") from None
    else:
        content = urllib.parse.unquote_to_bytes(payload)
    if len(content) > policy.max_bytes:
        raise MetadataFetchError("invalid", f"document larger than {policy.max_bytes} bytes")
    return content


def _file_uri(uri: str, policy: MetadataPolicy) -> bytes:
    if policy.file_root is None:
        raise MetadataFetchError("unsupported", "file:// metadata is disabled (set CMIR_METADATA_FILE_ROOT)")
    parsed = urllib.parse.urlparse(uri)
    if parsed.netloc not in ("", "localhost"):
        raise MetadataFetchError("unsupported", f"file:// URI on host {parsed.netloc!r}")
    root = policy.file_root.resolve()
    path = Path(urllib.parse.unquote(parsed.path)).resolve()
    if not path.is_relative_to(root):
        raise MetadataFetchError("unsupported", f"file:// URI outside {root}")
    try:
        with path.open("rb") as handle:
            content = handle.read(policy.max_bytes + 1)
    except OSError as exc:
        raise MetadataFetchError("unreachable", f"cannot read {path}: {exc.strerror}") from None
    if len(content) > policy.max_bytes:
        raise MetadataFetchError("invalid", f"document larger than {policy.max_bytes} bytes")
    return content


def _check_host(host: str) -> None:
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError as exc:
        raise MetadataFetchError("unreachable", f"cannot resolve {host}: {exc}") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if address.is_private or address.is_loopback or address.is_link_local or address.is_reserved:
            raise MetadataFetchError("unsupported", f"{host} resolves to a non-public address {address}")


def _http(uri: str, policy: MetadataPolicy) -> bytes:
    host = urllib.parse.urlparse(uri).hostname or ""
    if not policy.allow_private_hosts:
        _check_host(host)
    try:
        with requests.get(uri, timeout=policy.timeout, stream=True, allow_redirects=False) as response:
            if response.status_code != 200:
                raise MetadataFetchError("unreachable", f"HTTP {response.status_code}")
            content = b""
            for piece in response.iter_content(65_536):
                content += piece
                if len(content) > policy.max_bytes:
                    raise MetadataFetchError("invalid", f"document larger than {policy.max_bytes} bytes")
            return content
    except requests.RequestException as exc:
        raise MetadataFetchError("unreachable", f"{type(exc).__name__}: {exc}") from None


def check_document(content: bytes, expected_hash: str) -> dict[str, Any]:
    """The JSON object in `content` if its keccak-256 is `expected_hash`; else `MetadataFetchError`."""
    digest = "0x" + keccak(content).hex()
    if digest != expected_hash.lower():
        raise MetadataFetchError(
            "mismatch", f"keccak-256 {digest} differs from the registered {expected_hash}"
        )
    try:
        document = json.loads(content)
    except ValueError as exc:
        raise MetadataFetchError("invalid", f"not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise MetadataFetchError("invalid", "the document is not a JSON object")
    return document


def refresh_metadata(
    engine: Engine, chain_id: int, policy: MetadataPolicy, retry_seconds: int, limit: int = 50
) -> int:
    """Fetch and check the metadata of projects that need it (new or changed, or unreachable for
    `retry_seconds`); returns how many projects were updated. Each update applies only if the
    project's URI and hash are still the ones fetched."""
    now = int(time.time())
    with engine.connect() as connection:
        rows = connection.execute(
            select(PROJECTS.c.project_id, PROJECTS.c.metadata_uri, PROJECTS.c.metadata_hash)
            .where(
                PROJECTS.c.chain_id == chain_id,
                or_(
                    PROJECTS.c.metadata_status == "pending",
                    (PROJECTS.c.metadata_status == "unreachable")
                    & (PROJECTS.c.metadata_checked_at < now - retry_seconds),
                ),
            )
            .limit(limit)
        ).all()
    updated = 0
    for row in rows:
        values: dict[str, Any] = {"metadata_checked_at": int(time.time())}
        try:
            document = check_document(fetch_document(row.metadata_uri, policy), row.metadata_hash)
            values.update(metadata_status="ok", metadata_doc=document, metadata_error=None)
        except MetadataFetchError as exc:
            values.update(metadata_status=exc.status, metadata_doc=None, metadata_error=str(exc)[:500])
            log.info("ESS project %s metadata %s: %s", row.project_id, exc.status, exc)
        with engine.begin() as connection:
            result = connection.execute(
                update(PROJECTS)
                .where(
                    PROJECTS.c.chain_id == chain_id,
                    PROJECTS.c.project_id == row.project_id,
                    PROJECTS.c.metadata_uri == row.metadata_uri,
                    PROJECTS.c.metadata_hash == row.metadata_hash,
                )
                .values(values)
            )
            updated += result.rowcount
    return updated
