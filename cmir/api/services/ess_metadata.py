"""The ESS projects' metadata store: an ESS structure builds its project's document (name, legal
form, territories, themes, description) in the members' app, the API keeps it byte for byte
under its keccak-256 and serves it back at a URL, and the structure registers that URL and hash
on chain. The indexer and ``cmir audit`` fetch the URL and check the hash, as for any other
``http(s)`` metadata URI."""

from __future__ import annotations

import json
import time

from eth_utils.crypto import keccak
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError

from cmir.api.services.relay_checks import RefusalError
from cmir.store.relay import DOCUMENTS

#: Where a stored document is served, under the API's prefix.
PATH = "/ess/metadata/{hash}"


def check_document(content: bytes, max_bytes: int) -> str:
    """The keccak-256 of `content` (0x-hex) if it is a JSON object of at most `max_bytes`;
    `RefusalError` (413, 422) otherwise."""
    if len(content) > max_bytes:
        raise RefusalError(413, f"the document is {len(content)} bytes: at most {max_bytes} are stored")
    try:
        document = json.loads(content.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RefusalError(422, f"the document is not JSON (UTF-8): {exc}") from None
    if not isinstance(document, dict):
        raise RefusalError(422, "the document must be a JSON object")
    return "0x" + keccak(content).hex()


def store(engine: Engine, content: bytes, max_bytes: int) -> str:
    """Keep `content` (a JSON object) under its hash; returns the hash. Storing the same bytes
    again is harmless."""
    digest = check_document(content, max_bytes)
    try:
        with engine.begin() as connection:
            exists = connection.execute(select(DOCUMENTS.c.hash).where(DOCUMENTS.c.hash == digest)).first()
            if exists is None:
                connection.execute(
                    insert(DOCUMENTS).values(
                        hash=digest, content=content, size=len(content), created_at=int(time.time())
                    )
                )
    except IntegrityError:  # stored at the same time by another process: the same bytes
        pass
    except OperationalError as exc:
        raise RefusalError(503, f"the metadata store cannot be written now: {exc.orig}") from None
    return digest


def load(engine: Engine, digest: str) -> bytes | None:
    """The document stored under `digest` (None when there is none)."""
    with engine.connect() as connection:
        row = connection.execute(
            select(DOCUMENTS.c.content).where(DOCUMENTS.c.hash == digest.lower())
        ).first()
    return bytes(row.content) if row is not None else None
