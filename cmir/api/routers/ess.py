"""``/ess``: the ESS directory, one project with its fundings, and the directory's facets."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from cmir.api.deps import UINT256_MAX, Conn, CursorParams, DatabaseRoute, PageParams, State
from cmir.api.schemas.common import ERROR_RESPONSES, NOT_FOUND
from cmir.api.schemas.ess import Facets, FundingList, ProjectDetail, ProjectList
from cmir.api.services import ess as service
from cmir.api.services.ess import DirectoryFilter

router = APIRouter(prefix="/ess", tags=["ess"], responses=ERROR_RESPONSES, route_class=DatabaseRoute)

ProjectId = Annotated[int, Path(ge=0, le=UINT256_MAX, description="project id in the registry")]
MetadataStatus = Literal["pending", "ok", "mismatch", "unreachable", "invalid", "unsupported"]


@router.get("/projects", response_model=ProjectList, summary="Search the ESS directory")
def list_projects(
    state: State,
    connection: Conn,
    page: PageParams,
    q: Annotated[
        str | None,
        Query(
            max_length=200, description="words in the name, legal form, description, themes or territories"
        ),
    ] = None,
    region: Annotated[
        str | None, Query(max_length=3, description="INSEE region code, e.g. 11 (Île-de-France)")
    ] = None,
    department: Annotated[
        str | None, Query(max_length=5, description="department code, e.g. 93 or 2A")
    ] = None,
    theme: Annotated[
        str | None, Query(max_length=100, description="a theme (case and accents ignored)")
    ] = None,
    legal_form: Annotated[str | None, Query(max_length=100, description="words of the legal form")] = None,
    active: Annotated[bool | None, Query(description="fundable by governance")] = None,
    metadata_status: Annotated[MetadataStatus | None, Query()] = None,
    awaiting_activation: Annotated[
        bool | None,
        Query(description="inactive until governance activates it (new, or a new wallet)"),
    ] = None,
    sort: Annotated[Literal["relevance", "id", "funded"], Query()] = "relevance",
) -> ProjectList:
    """Projects with their checked off-chain metadata, searchable by text (full-text search on
    PostgreSQL, accent-insensitive matching on SQLite), territory, theme and legal form."""
    filters = DirectoryFilter(
        q=q,
        region=region,
        department=department,
        theme=theme,
        legal_form=legal_form,
        active=active,
        metadata_status=metadata_status,
        awaiting_activation=awaiting_activation,
    )
    return service.list_projects(connection, state.ctx, filters, sort, page.limit, page.offset)


@router.get("/facets", response_model=Facets, summary="Filter values of the directory")
def directory_facets(state: State, connection: Conn) -> Facets:
    """Themes, legal forms, regions and departments declared by projects, with counts."""
    return service.facets(connection, state.ctx)


@router.get(
    "/projects/{project_id}", response_model=ProjectDetail, responses=NOT_FOUND, summary="One project"
)
def get_project(state: State, connection: Conn, project_id: ProjectId) -> ProjectDetail:
    """A project with its metadata, fundings, registry history and the proposals naming its
    wallet (void once the wallet changed)."""
    return service.project_detail(connection, state.ctx, project_id)


@router.get(
    "/projects/{project_id}/fundings",
    response_model=FundingList,
    responses=NOT_FOUND,
    summary="A project's fundings",
)
def project_fundings(
    state: State, connection: Conn, project_id: ProjectId, page: CursorParams
) -> FundingList:
    """Every ESS funding paid to the project, newest first."""
    return service.project_fundings(connection, state.ctx, project_id, page.cursor, page.limit)
