"""``/ess/metadata``: the API stores an ESS project's metadata document and serves it back byte
for byte at a URL; its keccak-256 is the hash the project registers on chain beside that URL."""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response

from cmir.api.errors import NotFoundError
from cmir.api.schemas.common import ERROR_RESPONSES, NOT_FOUND
from cmir.api.schemas.relay import MetadataStored
from cmir.api.schemas.relay import Refusal as RefusalBody
from cmir.api.services import ess_metadata as service
from cmir.api.services.relay import Desk
from cmir.api.services.relay_checks import RefusalError

router = APIRouter(prefix="/ess/metadata", tags=["ess"], responses=ERROR_RESPONSES)

HASH_PATTERN = r"^0x[0-9a-fA-F]{64}$"


@router.post(
    "",
    status_code=201,
    response_model=MetadataStored,
    responses={413: {"model": RefusalBody, "description": "the document is too large"}},
    summary="Store an ESS project's metadata document",
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": "the document: a JSON object, stored byte for byte",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def store_metadata(request: Request, desk: Desk) -> Any:
    """The body is the document (a JSON object, at most ``CMIR_ESS_METADATA_MAX_BYTES``), kept as
    sent; the answer gives the URL serving it back and its keccak-256, to register on chain."""
    limit = desk.settings.ess_metadata_max_bytes
    content = b""
    async for chunk in request.stream():
        content += chunk
        if len(content) > limit:
            return JSONResponse({"detail": f"the document is larger than {limit} bytes"}, status_code=413)
    try:
        digest = await anyio.to_thread.run_sync(service.store, desk.engine, content, limit)
    except RefusalError as refusal:
        return JSONResponse(refusal.body(), status_code=refusal.status_code)
    base = (desk.settings.public_url or str(request.base_url)).rstrip("/")
    uri = base + str(request.url.path).rstrip("/") + "/" + digest
    return MetadataStored(uri=uri, hash=digest, size=len(content))


@router.get(
    "/{digest}",
    responses={**NOT_FOUND, 200: {"content": {"application/json": {}}, "description": "the document"}},
    response_class=Response,
    summary="An ESS project's metadata document, byte for byte",
)
def metadata_document(digest: Annotated[str, Path(pattern=HASH_PATTERN)], desk: Desk) -> Response:
    """The document stored under its keccak-256, exactly as it was sent."""
    content = service.load(desk.engine, digest)
    if content is None:
        raise NotFoundError(f"no metadata document {digest.lower()}")
    return Response(
        content,
        media_type="application/json",
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )
