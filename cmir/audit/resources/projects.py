"""ESS projects, their fundings, the directory's facets, every relation and the pool's history.

`projects.check` runs this area's checks: the registry read from the chain (`registry`) against
the directory the API serves (`directory`: ``/ess/projects``, each project's detail and fundings,
``/ess/facets``), with each project's metadata document fetched and checked against its hash by
the auditor itself (`metadata`); every relation (`relations`: ``/relations``); and the pool's
history (`history`: ``/pool/history``, the social-utility series, ``/flows/totals`` and
``/flows/sankey``).
"""

from __future__ import annotations

from cmir.audit.resources import directory, history, registry, relations
from cmir.audit.scope import ResourceResult, Scope


def check(scope: Scope) -> list[ResourceResult]:
    """ESS projects, fundings, facets, relations and the pool's history (one result each)."""
    projects_result = ResourceResult("ESS projects")
    fundings_result = ResourceResult("fundings")
    facets_result = ResourceResult("ESS facets")
    projects, problems = registry.replay(scope)
    projects_result.problems += problems + registry.check_views(scope, projects)
    projects_result.checked = len(projects)
    fundings = registry.fundings(scope)
    fundings_result.checked = sum(len(f) for f in fundings.values())
    names: dict[int, str | None] | None = None
    if scope.api is not None:
        served = scope.api.items("/ess/projects", sort="id")
        statuses = {str(item.get("id")): item.get("metadata_status") for item in served}
        verdicts = directory.verdicts(projects, scope.metadata_dir)
        records, notes = directory.records(projects, verdicts, statuses, fundings)
        projects_result.notes += notes
        projects_result.differences += directory.check_list(records, served)
        directory.check_details(scope, projects, records, fundings, projects_result)
        fundings_result.differences += directory.check_fundings(scope, projects, fundings)
        facets_result.checked, facets_result.differences, facet_notes = directory.check_facets(
            scope, projects, verdicts, statuses
        )
        facets_result.notes += facet_notes
        names = directory.names(projects, verdicts, statuses)
    return [
        projects_result,
        fundings_result,
        facets_result,
        relations.check(scope),
        history.check(scope, names),
    ]
