"""The latest published audit: the JSON report `cmir audit --report` wrote (`Settings.audit_report`),
summarised for the page. The API does not run the audit (it would be checking itself): it shows
what the independent auditor found, and the command that lets anyone find it again."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cmir.api.schemas.status import AuditedResource, AuditSummary

REPORT_URL = "/api/v1/audit/report.html"


def _time(value: Any) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(int(value), UTC)


def summary(path: Path | None) -> AuditSummary:
    """The report at `path`, summarised (available false, with why, when there is none)."""
    if path is None:
        return AuditSummary(available=False, error="no audit report is published by this server")
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
        chain, totals = report["chain"], report["totals"]
        api = f" --api {report['api'].removesuffix('/api/v1')}" if report.get("api") else ""
        return AuditSummary(
            available=True,
            result=report["result"],
            full=bool(report["full"]),
            block=int(chain["block"]),
            block_hash=str(chain["block_hash"]),
            block_time=_time(chain["block_time"]),
            audited_at=_time(report["started_at"]),
            seconds=float(report["seconds"]),
            checked=int(totals["checked"]),
            differences=int(totals["differences"]),
            failures=int(totals["failures"]),
            resources=[
                AuditedResource(
                    name=str(r["name"]),
                    checked=int(r["checked"]),
                    differences=len(r["differences"]),
                    problems=len(r["problems"]),
                )
                for r in report["resources"]
            ],
            report_url=REPORT_URL if path.with_suffix(".html").is_file() else None,
            command=f"cmir audit --rpc <RPC> --deployment deployments/{report['deployment']}"
            f" --block {int(chain['block'])}{api}",
        )
    except FileNotFoundError:
        return AuditSummary(available=False, error="no audit has been published yet")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return AuditSummary(available=False, error=f"the audit report cannot be read: {exc}")
