"""``/audit``: the latest audit published by the independent auditor, and its HTML report."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from cmir.api.deps import State
from cmir.api.errors import NotFoundError
from cmir.api.schemas.common import NOT_FOUND
from cmir.api.schemas.status import AuditSummary
from cmir.api.services import audit as service

router = APIRouter(prefix="/audit", tags=["status"])


@router.get("", response_model=AuditSummary, summary="The latest published audit")
async def latest(state: State) -> AuditSummary:
    """What `cmir audit --api … --report` found the last time the operator ran it: the block, the
    result, the records checked per resource and the differences, and the command to re-run it."""
    return service.summary(state.settings.audit_report)


@router.get(
    "/report.html",
    response_class=FileResponse,
    responses=NOT_FOUND,
    summary="The latest audit's one-page report",
)
async def report_html(state: State) -> FileResponse:
    """The HTML report `cmir audit --report` wrote beside the JSON one."""
    path = state.settings.audit_report
    page = path.with_suffix(".html") if path is not None else None
    if page is None or not page.is_file():
        raise NotFoundError("no audit report is published")
    return FileResponse(page, media_type="text/html; charset=utf-8")
