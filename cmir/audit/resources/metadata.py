"""The ESS projects' metadata documents, fetched by the auditor itself from the URI registered on
chain and checked against the registered keccak-256 (`EssProjectRegistry`: "whose keccak-256 is
`metadataHash`"), then reduced to the fields the directory serves; and the directory's facets
counted from those documents.

Fetching follows the rules the API's indexer applies to what it accepts (learnt from its
documentation, not its code): ``http(s)`` with a timeout, no redirect, at most 1 MiB, the hash
checked before the JSON is parsed; ``data:`` URIs carry the document itself and are decoded
(nothing is fetched). ``file://`` URIs are read only under a folder the auditor is given
(``--metadata-dir``, for a local chain whose documents sit on disk, as the indexer's
``CMIR_METADATA_FILE_ROOT``); otherwise the auditor cannot see the operator's disk.
"""

from __future__ import annotations

import base64
import binascii
import json
import unicodedata
import urllib.parse
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from eth_utils.crypto import keccak

TIMEOUT = 10.0
MAX_BYTES = 1_048_576
THREADS = 8

#: INSEE codes: region -> its departments (public reference data, the same on every side; the
#: names the API shows beside the codes are labels of this table, not read from the mirror).
REGIONS: dict[str, tuple[str, ...]] = {
    "84": ("01", "03", "07", "15", "26", "38", "42", "43", "63", "69", "73", "74"),
    "27": ("21", "25", "39", "58", "70", "71", "89", "90"),
    "53": ("22", "29", "35", "56"),
    "24": ("18", "28", "36", "37", "41", "45"),
    "94": ("2A", "2B"),
    "44": ("08", "10", "51", "52", "54", "55", "57", "67", "68", "88"),
    "32": ("02", "59", "60", "62", "80"),
    "11": ("75", "77", "78", "91", "92", "93", "94", "95"),
    "28": ("14", "27", "50", "61", "76"),
    "75": ("16", "17", "19", "23", "24", "33", "40", "47", "64", "79", "86", "87"),
    "76": ("09", "11", "12", "30", "31", "32", "34", "46", "48", "65", "66", "81", "82"),
    "52": ("44", "49", "53", "72", "85"),
    "93": ("04", "05", "06", "13", "83", "84"),
    "01": ("971",),
    "02": ("972",),
    "03": ("973",),
    "04": ("974",),
    "06": ("976",),
}
REGION_OF = {department: region for region, departments in REGIONS.items() for department in departments}
#: Statuses that are claims about a document's content (the auditor confirms or refutes them).
CONTENT_STATUSES = ("ok", "mismatch", "invalid")


@dataclass(frozen=True)
class Fetched:
    """What the auditor found at a URI: the bytes, or why not (``unreachable``: the network;
    ``invalid``: too large or malformed; ``unsupported``: a scheme the auditor does not read)."""

    content: bytes | None
    status: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Verdict:
    """A project's document checked against its hash: ``ok`` (with the document), ``mismatch``,
    ``invalid``, or ``unreachable``/``unsupported`` (not verified by the auditor)."""

    status: str
    document: dict[str, Any] | None = None
    error: str | None = None

    @property
    def verified(self) -> bool:
        """Whether the auditor read the document (whatever it found in it)."""
        return self.status in CONTENT_STATUSES


def fetch(uri: str, session: requests.Session, root: Path | None = None) -> Fetched:
    """The bytes at `uri` (``http(s)``, ``data:``, or ``file://`` under `root`), within the time
    and size limits."""
    scheme = uri.split(":", 1)[0].lower() if ":" in uri else ""
    if scheme == "data":
        return _data(uri)
    if scheme == "file" and root is not None:
        return _file(uri, root)
    if scheme not in ("http", "https"):
        return Fetched(None, "unsupported", f"the auditor does not read {scheme or 'scheme-less'} URIs")
    try:
        with session.get(uri, timeout=TIMEOUT, stream=True, allow_redirects=False) as response:
            if response.status_code != 200:
                return Fetched(None, "unreachable", f"HTTP {response.status_code}")
            content = b""
            for piece in response.iter_content(65_536):
                content += piece
                if len(content) > MAX_BYTES:
                    return Fetched(None, "invalid", f"document larger than {MAX_BYTES} bytes")
            return Fetched(content)
    except requests.RequestException as exc:
        return Fetched(None, "unreachable", f"{type(exc).__name__}: {exc}")


def _file(uri: str, root: Path) -> Fetched:
    parsed = urllib.parse.urlparse(uri)
    path = Path(urllib.parse.unquote(parsed.path)).resolve()
    if parsed.netloc not in ("", "localhost") or not path.is_relative_to(root.resolve()):
        return Fetched(None, "unsupported", f"file URI outside {root}")
    try:
        if path.stat().st_size > MAX_BYTES:
            return Fetched(None, "invalid", f"document larger than {MAX_BYTES} bytes")
        return Fetched(path.read_bytes())
    except OSError as exc:
        return Fetched(None, "unreachable", f"{type(exc).__name__}: {exc}")


def _data(uri: str) -> Fetched:
    header, comma, payload = uri[5:].partition(",")
    if not comma:
        return Fetched(None, "invalid", "malformed data: URI")
    if header.endswith(";base64"):
        try:
            content = base64.b64decode(payload, validate=True)
        except (ValueError, binascii.Error) as exc:
            return Fetched(None, "invalid", f"bad base64 in data: URI: {exc}")
    else:
        content = urllib.parse.unquote_to_bytes(payload)
    if len(content) > MAX_BYTES:
        return Fetched(None, "invalid", f"document larger than {MAX_BYTES} bytes")
    return Fetched(content)


def fetch_all(uris: Iterable[str], root: Path | None = None) -> dict[str, Fetched]:
    """Each distinct URI fetched once, several at a time (``file://`` ones under `root`)."""
    distinct = sorted(set(uris))
    with requests.Session() as session, ThreadPoolExecutor(max_workers=THREADS) as pool:
        return dict(zip(distinct, pool.map(lambda uri: fetch(uri, session, root), distinct), strict=True))


def verdict(fetched: Fetched, metadata_hash: str) -> Verdict:
    """The document at a URI checked against the hash registered on chain (hash first, then
    the JSON object)."""
    if fetched.content is None:
        return Verdict(fetched.status or "unreachable", error=fetched.error)
    digest = "0x" + keccak(fetched.content).hex()
    if digest != metadata_hash.lower():
        return Verdict("mismatch", error=f"keccak-256 {digest} differs from the registered {metadata_hash}")
    try:
        document = json.loads(fetched.content)
    except ValueError as exc:
        return Verdict("invalid", error=f"not JSON: {exc}")
    if not isinstance(document, dict):
        return Verdict("invalid", error="the document is not a JSON object")
    return Verdict("ok", document=document)


def directory_fields(document: dict[str, Any] | None, description_max: int) -> dict[str, Any]:
    """The fields the directory serves from a document, cut as the API defines them (name and
    legal form 200 characters, description `description_max`, 20 themes of 100, 50 territory
    codes of 20; a single string counts as a list of one; anything not a string is left out)."""
    doc = document or {}

    def text(key: str, limit: int) -> str | None:
        value = doc.get(key)
        return value[:limit] if isinstance(value, str) else None

    def strings(key: str, count: int, limit: int) -> list[str]:
        value = doc.get(key)
        items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        return [v[:limit] for v in items if isinstance(v, str)][:count]

    return {
        "name": text("name", 200),
        "legal_form": text("legalForm", 200),
        "description": text("description", description_max),
        "themes": strings("themes", 20, 100),
        "territories": [territory(code) for code in strings("territories", 50, 20)],
    }


def department_of(code: str) -> str:
    """The department of a territory code: a commune's INSEE code (5 characters; a 3-digit
    department for 97x overseas) or a department code itself."""
    code = code.strip().upper()
    if len(code) == 5:
        return code[:3] if code.startswith("97") else code[:2]
    return code


def territory(code: str) -> tuple[str, str | None, str | None]:
    """A declared code with its department and region (None when not a French one)."""
    department = department_of(code)
    known = department in REGION_OF
    return (code, department if known else None, REGION_OF.get(department))


def api_territory(item: Any) -> Any:
    """A territory the API serves, as `territory` gives it (its names are labels of codes)."""
    if not isinstance(item, dict):
        return item
    return (item.get("code"), item.get("department"), item.get("region"))


_FOLD_EXTRA = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "\u2019": "'"})


def fold(text: str) -> str:
    """Lower case without accents: how the directory tells two themes apart."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_FOLD_EXTRA))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def facet_counts(documents: Iterable[dict[str, Any]]) -> dict[str, Counter[str]]:
    """Projects per theme (folded), legal form, region and department, from their documents."""
    counts: dict[str, Counter[str]] = {
        "themes": Counter(),
        "legal_forms": Counter(),
        "regions": Counter(),
        "departments": Counter(),
    }
    for document in documents:
        fields = directory_fields(document, 0)
        counts["themes"].update({fold(t.strip()) for t in fields["themes"] if t.strip()})
        legal = fields["legal_form"]
        if legal and legal.strip():
            counts["legal_forms"][legal.strip()] += 1
        departments = {department_of(code) for code, _, _ in fields["territories"]} & set(REGION_OF)
        counts["departments"].update(departments)
        counts["regions"].update({REGION_OF[d] for d in departments})
    return counts
