"""``cmir audit --report FILE``: the audit kept as JSON (for machines) and as a one-page HTML
document a person can read and archive (block, identities, counts per resource, differences).
The HTML is self-contained: no script, no style sheet or font from elsewhere."""

from __future__ import annotations

import json
import time
from html import escape
from pathlib import Path
from typing import Any

from cmir.audit.run import AuditRun

#: Differences and problems listed per resource in the HTML (all of them are in the JSON).
LISTED = 200

STYLE = """
body{font:15px/1.5 system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}
.ok{color:#0b6b2b}.ko{color:#a4001d}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #d0d7de;padding:.3rem .5rem;
text-align:left;vertical-align:top}.n{text-align:right;font-variant-numeric:tabular-nums}
code{font-size:.85em;word-break:break-all}li{margin:.2rem 0}
"""


def paths(target: Path) -> tuple[Path, Path]:
    """The JSON and HTML files of `--report target` (`audit`, `audit.json` or `audit.html` all give
    `audit.json` and `audit.html`)."""
    base = target.with_suffix("") if target.suffix in (".json", ".html") else target
    return base.with_name(base.name + ".json"), base.with_name(base.name + ".html")


def write(run: AuditRun, target: Path) -> tuple[Path, Path]:
    """Write the report's two files (atomically: a reader never sees half of one)."""
    report = run.as_json()
    json_path, html_path = paths(target)
    json_path.parent.mkdir(parents=True, exist_ok=True)
    for path, text in ((json_path, json.dumps(report, indent=2)), (html_path, html(report))):
        partial = path.with_name(path.name + ".partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    return json_path, html_path


def _utc(timestamp: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(timestamp))


def _rows(cells: list[list[str]]) -> str:
    return "".join("<tr>" + "".join(cells_) + "</tr>" for cells_ in ([*c] for c in cells))


def html(report: dict[str, Any]) -> str:
    """The report as one HTML page (French first, English beside)."""
    chain, totals = report["chain"], report["totals"]
    ok = report["result"] == "RECONCILED"
    verdict = "RÉCONCILIÉ / RECONCILED" if ok else "NON RÉCONCILIÉ / NOT RECONCILED"
    scope = (
        "audit complet / full audit"
        if report["full"]
        else f"échantillon de {report['sample']['members']} membres (graine {report['sample']['seed']})"
    )
    identity_rows = [
        ["<th>chaîne / chain</th>", f"<td>{chain['chain_id']}</td>"],
        ["<th>bloc / block</th>", f"<td>{chain['block']} ({_utc(chain['block_time'])})</td>"],
        ["<th>hash du bloc / block hash</th>", f"<td><code>{escape(chain['block_hash'])}</code></td>"],
        ["<th>événements lus / events read</th>", f"<td>{_count(chain['events'])}</td>"],
        ["<th>RPC</th>", f"<td><code>{escape(chain['rpc'])}</code></td>"],
        ["<th>API</th>", f"<td><code>{escape(report['api'] or '-')}</code></td>"],
        ["<th>déploiement / deployment</th>", f"<td><code>{escape(report['deployment'])}</code></td>"],
        *(
            [f"<th>{escape(role)}</th>", f"<td><code>{escape(address)}</code></td>"]
            for role, address in chain["contracts"].items()
        ),
        ["<th>audité le / audited at</th>", f"<td>{_utc(report['started_at'])} ({report['seconds']} s)</td>"],
    ]
    resource_rows = [
        [
            f"<td>{escape(r['name'])}</td>",
            f"<td class='n'>{_count(r['checked'])}</td>",
            f"<td class='n'>{len(r['differences'])}</td>",
            f"<td class='n'>{len(r['problems'])}</td>",
            f"<td class='{'ok' if r['ok'] else 'ko'}'>{'ok' if r['ok'] else 'écart / mismatch'}</td>",
        ]
        for r in report["resources"]
    ]
    failed = [i for i in report["identities"] if not i["ok"]]
    details = ""
    for r in report["resources"]:
        lines = [f"<li><code>{escape(_difference(d))}</code></li>" for d in r["differences"][:LISTED]] + [
            f"<li><code>{escape(p)}</code></li>" for p in r["problems"][:LISTED]
        ]
        more = len(r["differences"]) + len(r["problems"]) - len(lines)
        if lines:
            details += f"<h3>{escape(r['name'])}</h3><ul>{''.join(lines)}</ul>"
            details += f"<p>… et {more} de plus (voir le JSON)</p>" if more > 0 else ""
    identities = "".join(
        f"<li class='{_mark(i['ok'])}'>{'ok' if i['ok'] else 'ÉCHEC / FAIL'} {escape(i['name'])}</li>"
        for i in report["identities"]
    )
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1"><link rel="icon" href="data:,">
<title>Audit CMIR DAO, bloc {chain["block"]}: {verdict}</title><style>{STYLE}</style></head>
<body><main>
<h1>Audit CMIR DAO: <span class="{"ok" if ok else "ko"}">{verdict}</span> au bloc {chain["block"]}</h1>
<p>{escape(scope)}. {_count(totals["checked"])} enregistrements vérifiés contre la chaîne / records checked;
{totals["differences"]} écart(s) avec l'API / API differences; {totals["failures"]} identité(s) en échec /
identity failures. Refaire l'audit / re-run:
<code>cmir audit --rpc URL --deployment {escape(report["deployment"])}
--block {chain["block"]}{" --api " + escape(report["api"]) if report["api"] else ""}</code></p>
<h2>Identités / Identities</h2><table>{_rows(identity_rows)}</table>
<h2>Ressources vérifiées / Resources checked</h2>
<table><thead><tr><th>ressource</th><th class="n">vérifiés / checked</th><th class="n">écarts API</th>
<th class="n">problèmes chaîne</th>
<th>résultat</th></tr></thead><tbody>{_rows(resource_rows)}</tbody></table>
<h2>Écarts / Differences</h2>{details or "<p>Aucun / none.</p>"}
<h2>Égalités comptables / Conservation identities ({len(failed)} en échec)</h2><ul>{identities}</ul>
</main></body></html>
"""


def _difference(d: dict[str, Any]) -> str:
    named = f"{d['field']} " if d.get("field") else ""
    return f"{d['what']}: {named}API {d['api']} != chain {d['chain']}"


def _mark(ok: bool) -> str:
    return "ok" if ok else "ko"


def _count(value: int) -> str:
    """A count with French thousands separators (a narrow no-break space)."""
    return f"{int(value):,}".replace(",", "\u202f")
