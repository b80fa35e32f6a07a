"""The ESS directory: search (full text on PostgreSQL, LIKE on folded text on SQLite), filters by
territory, theme and legal form, one project with fundings and history, facets."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BindParameter, Connection, bindparam, func, literal_column, select, text
from sqlalchemy.types import NullType

from cmir.api.errors import NotFoundError
from cmir.api.schemas.common import PageMeta, timestamp
from cmir.api.schemas.ess import (
    Facets,
    FacetValue,
    FundingItem,
    FundingList,
    Payout,
    ProjectChange,
    ProjectDetail,
    ProjectItem,
    ProjectList,
    Territory,
)
from cmir.api.services.context import (
    Context,
    before_cursor,
    by_position,
    cursor_of,
    escape_like,
    load_as_of,
)
from cmir.api.territories import DEPARTMENTS, REGION_OF, REGIONS, department_of
from cmir.api.text import clean_doc, fold
from cmir.store import EssFunding, EssProject, EssProjectChange, Proposal, ProposalPayout

P = EssProject.__table__
PP = ProposalPayout.__table__
PR = Proposal.__table__
AWAITING = ("registered", "wallet_changed")
#: States in which a proposal may still be executed (a call that would revert then is void).
OPEN_STATES = ("pending", "active", "succeeded", "queued")
FU = EssFunding.__table__
CH = EssProjectChange.__table__
DOC = "ess_projects.metadata_doc"
MAX_TERMS = 8

_ACCENTS = {
    "AAAAAACEEEEIIIINOOOOOUUUUY": "ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝ",
    "aaaaaaceeeeiiiinooooouuuuyy": "àáâãäåçèéêëìíîïñòóôõöùúûüýÿ",
}
_PG_FROM = "".join(_ACCENTS.values())
_PG_TO = "".join(_ACCENTS.keys())


def pg_fold(sql: str) -> str:
    """PostgreSQL expression folding `sql` as `cmir.api.text.fold` does (French accents, case)."""
    inner = f"lower(translate({sql}, '{_PG_FROM}', '{_PG_TO}'))"
    return f"replace(replace(replace({inner}, 'œ', 'oe'), 'Œ', 'oe'), 'æ', 'ae')"


def _pg_list(key: str) -> str:
    value = f"{DOC}->'{key}'"
    return (
        f"(CASE jsonb_typeof({value}) WHEN 'array' THEN {value} "
        f"WHEN 'string' THEN jsonb_build_array({value}) ELSE '[]'::jsonb END)"
    )


_PG_THEMES = _pg_list("themes")
_PG_PLACES = _pg_list("territories")
_PG_TEXT = pg_fold(
    f"concat_ws(' ', {DOC}->>'name', {DOC}->>'legalForm', {DOC}->>'description', "
    f"{DOC}->>'themes', {DOC}->>'territories')"
)
_PG_DEPARTMENT = (
    "(CASE WHEN length(upper(btrim(t.v))) = 5 THEN CASE WHEN left(upper(btrim(t.v)), 2) = '97' "
    "THEN left(upper(btrim(t.v)), 3) ELSE left(upper(btrim(t.v)), 2) END ELSE upper(btrim(t.v)) END)"
)


@dataclass(frozen=True)
class DirectoryFilter:
    """Search and filters of the directory."""

    q: str | None = None
    region: str | None = None
    department: str | None = None
    theme: str | None = None
    legal_form: str | None = None
    active: bool | None = None
    metadata_status: str | None = None
    awaiting_activation: bool | None = None


def search_terms(q: str | None) -> list[str]:
    """Folded words of a query (letters and digits), at most `MAX_TERMS`."""
    return re.findall(r"[a-z0-9]+", fold(q or ""))[:MAX_TERMS]


def _conditions(dialect: str, ctx: Context, f: DirectoryFilter) -> tuple[list[Any], Any | None]:
    """WHERE conditions and a relevance expression (None: order by id). SQL text is built only
    from this module's constants and folded [a-z0-9] search terms; every value is bound."""
    conditions: list[Any] = [P.c.chain_id == ctx.chain_id]
    rank = None
    pg = dialect == "postgresql"
    terms = search_terms(f.q)
    if terms:
        if pg:
            query = " & ".join(f"{t}:*" for t in terms)
            vector = f"to_tsvector('simple', {_PG_TEXT})"
            conditions.append(text(f"{vector} @@ to_tsquery('simple', :tsq)").bindparams(tsq=query))
            rank = literal_column(f"ts_rank({vector}, to_tsquery('simple', '{query}'))", NullType()).desc()
        else:
            for i, term in enumerate(terms):
                conditions.append(
                    text(f"cmir_doc_text({DOC}) LIKE :t{i} ESCAPE '\\'").bindparams(
                        **{f"t{i}": f"%{escape_like(term)}%"}
                    )
                )
            # terms are [a-z0-9]+ only: safe to inline
            rank = literal_column(
                f"(cmir_fold(json_extract({DOC}, '$.name')) LIKE '%{terms[0]}%')", NullType()
            ).desc()
    if f.theme:
        wanted = fold(f.theme.strip())
        if pg:
            themes = f"EXISTS (SELECT 1 FROM jsonb_array_elements_text({_PG_THEMES}) AS t(v) WHERE "  # noqa: S608
            conditions.append(text(f"{themes}{pg_fold('t.v')} = :theme)").bindparams(theme=wanted))
        else:
            conditions.append(text(f"cmir_has_item({DOC}, 'themes', :theme)").bindparams(theme=wanted))
    departments = _departments(f)
    if departments is not None:
        if pg:
            places = f"EXISTS (SELECT 1 FROM jsonb_array_elements_text({_PG_PLACES}) AS t(v) WHERE "  # noqa: S608
            deps: BindParameter[Any] = bindparam("deps", value=departments, expanding=True)
            conditions.append(text(f"{places}{_PG_DEPARTMENT} IN :deps)").bindparams(deps))
        else:
            conditions.append(
                text(f"cmir_in_departments({DOC}, :deps)").bindparams(deps=",".join(departments))
            )
    if f.legal_form:
        pattern = f"%{escape_like(fold(f.legal_form.strip()))}%"
        sql = pg_fold(f"{DOC}->>'legalForm'") if pg else f"cmir_fold(json_extract({DOC}, '$.legalForm'))"
        conditions.append(text(f"{sql} LIKE :legal ESCAPE '\\'").bindparams(legal=pattern))
    if f.active is not None:
        conditions.append(P.c.active == f.active)
    if f.metadata_status is not None:
        conditions.append(P.c.metadata_status == f.metadata_status)
    if f.awaiting_activation is not None:
        awaiting = P.c.active.is_(False) & P.c.inactive_reason.in_(AWAITING)
        conditions.append(awaiting if f.awaiting_activation else ~awaiting)
    return conditions, rank


def _departments(f: DirectoryFilter) -> list[str] | None:
    if f.region is None and f.department is None:
        return None
    wanted: set[str] | None = None
    if f.region is not None:
        region = REGIONS.get(f.region.strip().upper())
        wanted = set(region[1]) if region is not None else set()
    if f.department is not None:
        department = department_of(f.department)
        wanted = {department} if wanted is None else wanted & {department}
    return sorted(wanted or {"-"})


def territory(code: str) -> Territory:
    """A declared territory code with its department and region."""
    department = department_of(code)
    known = department in DEPARTMENTS
    region = REGION_OF.get(department)
    return Territory(
        code=code,
        department=department if known else None,
        department_name=DEPARTMENTS.get(department),
        region=region,
        region_name=REGIONS[region][0] if region else None,
    )


def _summary_column(dialect: str) -> Any:
    if dialect == "postgresql":
        sql = (
            f"jsonb_build_object('name', left({DOC}->>'name', 200), "
            f"'legalForm', left({DOC}->>'legalForm', 200), "
            f"'description', left({DOC}->>'description', 500), 'themes', {DOC}->'themes', "
            f"'territories', {DOC}->'territories')"
        )
    else:
        sql = f"cmir_doc_summary({DOC})"
    return literal_column(sql, NullType()).label("summary")


def _item_fields(ctx: Context, row: Any, doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row.project_id),
        "name": doc["name"],
        "legal_form": doc["legalForm"],
        "themes": doc["themes"],
        "territories": [territory(c) for c in doc["territories"]],
        "description": doc["description"],
        "active": row.active,
        "wallet_version": row.wallet_version,
        "inactive_reason": None if row.active else row.inactive_reason,
        "awaiting_activation": not row.active and row.inactive_reason in AWAITING,
        "owner": row.owner,
        "payout_wallet": row.payout_wallet,
        "metadata_uri": row.metadata_uri[:2000],
        "metadata_hash": row.metadata_hash,
        "metadata_status": row.metadata_status,
        "registered_at": timestamp(row.registered_time),
        "registered_block": row.registered_block,
        "updated_at": timestamp(row.updated_time),
        "funded_total": ctx.amount(row.funded_total),
        "funding_count": row.funding_count,
        "explorer_url": ctx.address_link(row.payout_wallet),
    }


_COLUMNS = [c for c in P.c if c.name != "metadata_doc"]


def list_projects(
    connection: Connection, ctx: Context, f: DirectoryFilter, sort: str, limit: int, offset: int
) -> ProjectList:
    """A page of projects matching `f`."""
    dialect = connection.dialect.name
    conditions, rank = _conditions(dialect, ctx, f)
    total = int(connection.execute(select(func.count()).select_from(P).where(*conditions)).scalar_one())
    order: list[Any] = []
    if sort == "relevance" and rank is not None:
        order.append(rank)
    elif sort == "funded":
        order.append(P.c.funded_total.desc())
    order.append(P.c.project_id)
    columns: list[Any] = [*_COLUMNS, _summary_column(dialect)]
    rows = connection.execute(
        select(*columns).where(*conditions).order_by(*order).limit(limit).offset(offset)
    ).all()
    items = []
    for row in rows:
        summary = (
            row.summary if isinstance(row.summary, dict) else json.loads(row.summary) if row.summary else None
        )
        items.append(ProjectItem(**_item_fields(ctx, row, clean_doc(summary, 500))))
    following = offset + len(rows)
    return ProjectList(
        items=items,
        page=PageMeta(
            limit=limit, offset=offset, total=total, next_offset=following if following < total else None
        ),
    )


def _project_row(connection: Connection, ctx: Context, project_id: int) -> Any:
    row = connection.execute(
        select(P).where(P.c.chain_id == ctx.chain_id, P.c.project_id == project_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no ESS project {project_id}")
    return row


def _funding(ctx: Context, r: Any) -> FundingItem:
    return FundingItem(
        **ctx.tx_fields(r),
        amount=ctx.amount(r.amount),
        payout_wallet=r.payout_wallet,
        proposal_id=None if r.proposal_id is None else str(r.proposal_id),
    )


def project_detail(connection: Connection, ctx: Context, project_id: int) -> ProjectDetail:
    """One project with its latest fundings and changes."""
    row = _project_row(connection, ctx, project_id)
    where = (FU.c.chain_id == ctx.chain_id, FU.c.project_id == project_id)
    fundings = connection.execute(
        select(FU).where(*where).order_by(FU.c.block_number.desc(), FU.c.log_index.desc()).limit(50)
    ).all()
    count = connection.execute(select(func.count()).select_from(FU).where(*where)).scalar_one()
    history = connection.execute(
        select(CH)
        .where(CH.c.chain_id == ctx.chain_id, CH.c.project_id == project_id)
        .order_by(*by_position(CH))
        .limit(50)
    ).all()
    return ProjectDetail(
        **_item_fields(ctx, row, clean_doc(row.metadata_doc, 20_000)),
        metadata_error=row.metadata_error,
        fundings=[_funding(ctx, r) for r in fundings],
        fundings_total=int(count),
        history=[
            ProjectChange(
                **ctx.tx_fields(h),
                kind=h.kind,
                payout_wallet=h.payout_wallet,
                metadata_uri=None if h.metadata_uri is None else h.metadata_uri[:2000],
                metadata_hash=h.metadata_hash,
                active=h.active,
                wallet_version=h.wallet_version,
            )
            for h in history
        ],
        payouts=_payouts(connection, ctx, row),
    )


def _payouts(connection: Connection, ctx: Context, project: Any) -> list[Payout]:
    """The proposals' calls naming `project`'s wallet versions, newest first, void once the
    wallet changed."""
    from cmir.api.services.governance import lights  # governance reads this module's helpers

    rows = connection.execute(
        select(PP, PR.c.description)
        .select_from(
            PP.outerjoin(PR, (PR.c.chain_id == PP.c.chain_id) & (PR.c.proposal_id == PP.c.proposal_id))
        )
        .where(PP.c.chain_id == ctx.chain_id, PP.c.project_id == project.project_id)
        .order_by(PP.c.block_number.desc(), PP.c.log_index.desc(), PP.c.action_index)
        .limit(50)
    ).all()
    if not rows:
        return []
    states = {
        light.proposal_id: light.state for light in lights(connection, ctx, load_as_of(connection, ctx))
    }
    return [
        Payout(
            proposal_id=str(r.proposal_id),
            proposal_title=((r.description or "").strip().splitlines() or [""])[0][:200],
            proposal_state=states.get(int(r.proposal_id), "unknown"),
            action_index=r.action_index,
            function=r.function,
            payout_wallet=r.payout_wallet,
            wallet_version=r.wallet_version,
            amount=None if r.amount is None else ctx.amount(r.amount),
            void=states.get(int(r.proposal_id)) in OPEN_STATES and payout_void(r, project),
        )
        for r in rows
    ]


def payout_void(payout: Any, project: Any) -> bool:
    """Whether a proposal's call naming `project` can no longer succeed: the wallet (or its
    version) it names is not the project's any more."""
    if int(payout.wallet_version) != int(project.wallet_version):
        return True
    return payout.payout_wallet is not None and payout.payout_wallet != project.payout_wallet


def project_fundings(
    connection: Connection, ctx: Context, project_id: int, cursor: tuple[int, int] | None, limit: int
) -> FundingList:
    """A page of a project's fundings, newest first."""
    _project_row(connection, ctx, project_id)
    conditions = [FU.c.chain_id == ctx.chain_id, FU.c.project_id == project_id]
    after = before_cursor(FU, cursor)
    if after is not None:
        conditions.append(after)
    rows = connection.execute(
        select(FU)
        .where(*conditions)
        .order_by(FU.c.block_number.desc(), FU.c.log_index.desc())
        .limit(limit + 1)
    ).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return FundingList(
        items=[_funding(ctx, r) for r in rows],
        limit=limit,
        next_cursor=cursor_of(rows[-1]) if more and rows else None,
    )


@dataclass
class _FacetCounts:
    themes: Counter[str]
    theme_labels: dict[str, str]
    legal_forms: Counter[str]
    regions: Counter[str]
    departments: Counter[str]


def _facets(connection: Connection, ctx: Context) -> _FacetCounts:
    dialect = connection.dialect.name
    counts = _FacetCounts(Counter(), {}, Counter(), Counter(), Counter())
    query = (
        select(_summary_column(dialect))
        .where(P.c.chain_id == ctx.chain_id, P.c.metadata_status == "ok")
        .limit(10_000)
    )
    for (summary,) in connection.execute(query):
        doc = clean_doc(summary if isinstance(summary, dict) else json.loads(summary) if summary else None, 0)
        for key, label in {fold(t.strip()): t.strip() for t in doc["themes"] if t.strip()}.items():
            counts.themes[key] += 1
            counts.theme_labels.setdefault(key, label)
        if doc["legalForm"] and doc["legalForm"].strip():
            counts.legal_forms[doc["legalForm"].strip()] += 1
        departments = {department_of(c) for c in doc["territories"]} & set(DEPARTMENTS)
        counts.departments.update(departments)
        counts.regions.update({REGION_OF[d] for d in departments if d in REGION_OF})
    return counts


def _values(counter: Counter[str], labels: dict[str, str]) -> list[FacetValue]:
    return [FacetValue(value=v, label=labels.get(v, v), count=n) for v, n in counter.most_common(200)]


def facets(connection: Connection, ctx: Context) -> Facets:
    """Themes, legal forms, regions and departments with project counts (once per indexed block)."""
    as_of = load_as_of(connection, ctx)
    counts = ctx.cached(as_of, "ess-facets", lambda: _facets(connection, ctx))
    return Facets(
        as_of=as_of,
        themes=_values(counts.themes, counts.theme_labels),
        legal_forms=_values(counts.legal_forms, {}),
        regions=_values(counts.regions, {code: name for code, (name, _) in REGIONS.items()}),
        departments=_values(counts.departments, DEPARTMENTS),
    )
