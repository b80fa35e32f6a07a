"""Text as the API compares and shows it: `fold` (case and accents ignored), the searched and the
shown fields of an ESS project's metadata document, and the SQLite functions built on them
(`SQLITE_FUNCTIONS`, registered on every read connection by `cmir.api.db`; PostgreSQL does the
same in SQL, see `cmir.api.services.ess.pg_fold`)."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from typing import Any

from cmir.api.territories import department_of

_FOLD_EXTRA = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "\u2019": "'"})


def fold(text: str) -> str:
    """Lower case without accents (``"Épicerie"`` → ``"epicerie"``): how text is compared."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD_EXTRA))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


DOC_TEXT_FIELDS = ("name", "legalForm", "description", "themes", "territories")


def doc_text(raw: str | None) -> str:
    """The searchable text of an ESS project's metadata document (JSON text), folded."""
    if not raw:
        return ""
    try:
        doc = json.loads(raw)
    except ValueError:
        return ""
    if not isinstance(doc, dict):
        return ""
    parts: list[str] = []
    for key in DOC_TEXT_FIELDS:
        value = doc.get(key)
        if isinstance(value, str):
            parts.append(value)
        elif isinstance(value, list):
            parts.extend(v for v in value if isinstance(v, str))
    return fold(" ".join(parts))


def doc_list(raw: str | None, key: str) -> list[str]:
    """The strings of list `key` in a metadata document (JSON text); a lone string counts as one."""
    if not raw:
        return []
    try:
        doc = json.loads(raw)
    except ValueError:
        return []
    value = doc.get(key) if isinstance(doc, dict) else None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def clean_doc(doc: Any, description_max: int) -> dict[str, Any]:
    """The directory's fields of a metadata document, typed and cut to bounded sizes."""
    if not isinstance(doc, dict):
        return {"name": None, "legalForm": None, "description": None, "themes": [], "territories": []}

    def text(key: str, limit: int) -> str | None:
        value = doc.get(key)
        return value[:limit] if isinstance(value, str) else None

    def strings(key: str, count: int, limit: int) -> list[str]:
        value = doc.get(key)
        items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        return [v[:limit] for v in items if isinstance(v, str)][:count]

    return {
        "name": text("name", 200),
        "legalForm": text("legalForm", 200),
        "description": text("description", description_max),
        "themes": strings("themes", 20, 100),
        "territories": strings("territories", 50, 20),
    }


def _fold_sql(value: Any) -> Any:
    return fold(value) if isinstance(value, str) else value


def _doc_summary(raw: str | None) -> str | None:
    if not raw:
        return None
    try:
        doc = json.loads(raw)
    except ValueError:
        return None
    return json.dumps(clean_doc(doc, 500))


def _has_item(raw: str | None, key: str, wanted: str) -> int:
    return int(any(fold(v) == wanted for v in doc_list(raw, key)))


def _in_departments(raw: str | None, departments: str) -> int:
    wanted = set(departments.split(","))
    return int(any(department_of(v) in wanted for v in doc_list(raw, "territories")))


#: (name, number of arguments, function): the SQL functions the services call on SQLite.
SQLITE_FUNCTIONS: tuple[tuple[str, int, Callable[..., Any]], ...] = (
    ("cmir_fold", 1, _fold_sql),
    ("cmir_doc_text", 1, doc_text),
    ("cmir_doc_summary", 1, _doc_summary),
    ("cmir_has_item", 3, _has_item),
    ("cmir_in_departments", 2, _in_departments),
)
