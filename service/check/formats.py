"""Report formats for `sanctions check`: table (rich), json, junit (XML), sarif (2.1.0) and github (annotations).

Every hit names file:line, the record, the entity id, list, score and evidence. These outputs necessarily carry
the screened records (that is their point); they go to stdout or --output, never to the logs.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from urllib.parse import quote

from rich.console import Console
from rich.table import Table
from rich.text import Text

from service import __version__
from service.check.report import (
    CheckReport,
    FailOn,
    RecordResult,
    ReportedHit,
    evidence_text,
    hit_dict,
    record_dict,
    record_text,
)

FORMATS = ("table", "json", "junit", "sarif", "github")
TOOL_NAME = "sanctions-screening"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"


def artifact_uri(path: str, cwd: Path) -> str:
    """The file as a URI reference relative to the working directory (the repository root in CI), else absolute."""
    absolute = os.path.abspath(path)
    rel = os.path.relpath(absolute, cwd)
    if rel.startswith(".."):
        return Path(absolute).as_uri()
    return quote(Path(rel).as_posix(), safe="/")


def _hit_fails(report: CheckReport, rh: ReportedHit) -> bool:
    return not rh.is_suppressed and report.fail_on is not FailOn.NONE


def _headline(rh: ReportedHit) -> str:
    h = rh.hit
    return f"{h.entity_id} {h.name} [{h.list_id}, {h.kind.value}] score {h.score:.2f}"


def _hit_lines(result: RecordResult, rh: ReportedHit) -> list[str]:
    h = rh.hit
    lines = [
        f"{result.record.location}: {record_text(result.record)}",
        f"  matches {_headline(rh)}",
    ]
    if h.programs:
        lines.append(f"  programs: {', '.join(h.programs)}")
    lines += [f"  - {evidence_text(ev)}" for ev in h.evidence]
    if rh.suppressed_by:
        e = rh.suppressed_by
        lines.append(
            f"  suppressed by allowlist {e.describe()}: {e.reason} (reviewer {e.reviewer}, expires {e.expires})"
        )
    return lines


# --- json ------------------------------------------------------------------------------------------------------


def render_json(report: CheckReport, **_: object) -> str:
    doc = {
        "tool": {"name": TOOL_NAME, "version": __version__},
        "generated_at": report.generated_at,
        "mode": report.mode,
        "source": report.source,
        "min_score": report.min_score,
        "fail_on": report.fail_on.value,
        "allowlist": report.allowlist,
        "lists": [{k: v for k, v in asdict(li).items() if v is not None} for li in report.lists],
        "summary": report.summary(),
        "results": [
            {
                "file": r.record.path,
                "line": r.record.line,
                "location": r.record.location,
                "record": record_dict(r.record),
                "status": r.status,
                **({"skipped": r.skipped} if r.skipped else {}),
                "hits": [hit_dict(h) for h in r.hits],
            }
            for r in report.results
        ],
        "warnings": list(report.warnings),
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


# --- table -----------------------------------------------------------------------------------------------------


def render_table(report: CheckReport, *, color: bool = False, width: int = 120, **_: object) -> str:
    buf = io.StringIO()
    console = Console(
        file=buf, width=width, force_terminal=color, no_color=not color, highlight=False, color_system="auto"
    )
    rows = [(r, h) for r in report.results for h in r.hits]
    if rows:
        table = Table(title="Sanctions screening hits", show_lines=True, expand=True)
        # fold, never truncate: an entity id or a path cut short by an ellipsis is useless to a reviewer
        table.add_column("Location", ratio=2, overflow="fold")
        table.add_column("Record", ratio=2, overflow="fold")
        table.add_column("Listed entity", ratio=2, overflow="fold")
        table.add_column("Score", justify="right", no_wrap=True)
        table.add_column("Evidence", ratio=4)
        for r, rh in rows:
            h = rh.hit
            evidence = "\n".join(evidence_text(ev) for ev in h.evidence) or "-"
            if rh.suppressed_by:
                e = rh.suppressed_by
                evidence += f"\nSUPPRESSED ({e.describe()}): {e.reason}, reviewer {e.reviewer}, until {e.expires}"
            style = "dim" if rh.is_suppressed else ("bold red" if _hit_fails(report, rh) else "yellow")
            programs = f"\n{', '.join(h.programs)}" if h.programs else ""
            table.add_row(
                Text(r.record.location),
                Text(record_text(r.record)),
                Text(f"{h.entity_id}\n{h.name} ({h.kind.value}){programs}"),
                Text(f"{h.score:.2f}", style=style),
                Text(evidence, style="dim" if rh.is_suppressed else ""),
            )
        console.print(table)
    skipped = [r for r in report.results if r.skipped]
    for r in skipped[:20]:
        console.print(Text(f"skipped {r.record.location}: {r.skipped}", style="yellow"))
    if len(skipped) > 20:
        console.print(Text(f"... and {len(skipped) - 20} more skipped records", style="yellow"))
    verdict_style = "bold red" if report.exit_code else "bold green"
    console.print(Text(report.summary_line(), style=verdict_style))
    return buf.getvalue()


# --- JUnit XML ---------------------------------------------------------------------------------------------------

# XML 1.0 forbids most C0 control characters even when escaped; a stray one in a cell must not break the report.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _x(text: str) -> str:
    return _XML_ILLEGAL.sub("\ufffd", text)


def render_junit(report: CheckReport, **_: object) -> str:
    """One testsuite per file, one testcase per record; a failure per matching record, skipped when unscreened."""
    s = report.summary()
    root = ET.Element(
        "testsuites",
        name="sanctions check",
        tests=str(s["records"]),
        failures=str(s["matching"] if report.exit_code else 0),
        errors="0",
        skipped=str(s["skipped"]),
        time=f"{report.duration_s:.3f}",
        timestamp=report.generated_at,
    )
    for path in report.files:
        results = [r for r in report.results if r.record.path == path]
        failing = [r for r in results if r.status == "match" and report.fail_on is not FailOn.NONE]
        suite = ET.SubElement(
            root,
            "testsuite",
            name=_x(path),
            tests=str(len(results)),
            failures=str(len(failing)),
            errors="0",
            skipped=str(sum(1 for r in results if r.skipped)),
            timestamp=report.generated_at,
        )
        props = ET.SubElement(suite, "properties")
        for name, value in (
            ("min_score", "" if report.min_score is None else f"{report.min_score}"),
            ("fail_on", report.fail_on.value),
            ("mode", report.mode),
            *((f"list.{li.id}", li.version or "") for li in report.lists),
        ):
            ET.SubElement(props, "property", name=name, value=_x(value))
        for r in results:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=_x(path),
                name=_x(f"line {r.record.line}: {r.record.label}"),
                file=_x(path),
                line=str(r.record.line),
            )
            if r.skipped:
                ET.SubElement(case, "skipped", message=_x(r.skipped))
                continue
            detail = [line for rh in r.hits for line in _hit_lines(r, rh)]
            if r.status == "match":
                best = r.active_hits[0]
                tag = "failure" if report.fail_on is not FailOn.NONE else "system-out"
                el = ET.SubElement(case, tag)
                if tag == "failure":
                    el.set("message", _x(f"{r.record.label} matches {_headline(best)}"))
                    el.set("type", "SanctionsMatch")
                el.text = _x("\n".join(detail))
            elif detail:
                ET.SubElement(case, "system-out").text = _x("\n".join(detail))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


# --- SARIF 2.1.0 -------------------------------------------------------------------------------------------------


def _rule_id(list_id: str) -> str:
    return f"sanctions/{list_id}"


def _fingerprint(rh: ReportedHit, result: RecordResult) -> str:
    r = result.record
    handle = r.key or r.query.name or "|".join(r.query.identifiers)
    return hashlib.sha256(f"{rh.hit.entity_id}\x1f{r.path}\x1f{handle}".encode()).hexdigest()[:32]


def render_sarif(report: CheckReport, *, cwd: Path | None = None, **_: object) -> str:
    """One run; one rule per list; one result per reported hit at the record's file and line.

    Suppressed hits stay in the log with a `suppressions` entry (status accepted) so code-scanning views show
    them as dismissed with the reviewer's reason.
    """
    base = cwd or Path.cwd()
    titles = {li.id: li.title or li.id for li in report.lists}
    list_ids = sorted({rh.hit.list_id for r in report.results for rh in r.hits} | set(titles))
    rules = []
    for list_id in list_ids:
        title = titles.get(list_id, list_id)
        rules.append(
            {
                "id": _rule_id(list_id),
                "name": "SanctionsListMatch",
                "shortDescription": {"text": f"Counterparty matches an entry on {list_id}"},
                "fullDescription": {
                    "text": f"A record in this file matches a party on {title}. Review the evidence; "
                    "clear a false positive with an allowlist entry (entity_id, record, reason, reviewer, expires)."
                },
                "help": {
                    "text": "Do not onboard or pay this counterparty until compliance has reviewed the match. "
                    "If it is a false positive, add an allowlist entry naming the entity id and the record."
                },
                "defaultConfiguration": {"level": "error"},
                "properties": {"tags": ["sanctions", "compliance", list_id], "precision": "medium"},
            }
        )
    rule_index = {_rule_id(list_id): i for i, list_id in enumerate(list_ids)}
    results = []
    for r in report.results:
        for rh in r.hits:
            h = rh.hit
            evidence = "; ".join(evidence_text(ev) for ev in h.evidence)
            message = f"{r.record.label} ({r.record.location}) matches {_headline(rh)}"
            if evidence:
                message += f". Evidence: {evidence}"
            result: dict[str, object] = {
                "ruleId": _rule_id(h.list_id),
                "ruleIndex": rule_index[_rule_id(h.list_id)],
                "kind": "fail",
                "level": "error" if report.fail_on is not FailOn.NONE else "warning",
                "message": {"text": message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": artifact_uri(r.record.path, base)},
                            "region": {"startLine": r.record.line},
                        }
                    }
                ],
                "partialFingerprints": {"sanctionsHit/v1": _fingerprint(rh, r)},
                "properties": {
                    "entity_id": h.entity_id,
                    "entity_name": h.name,
                    "entity_type": h.kind.value,
                    "list": h.list_id,
                    "list_version": h.list_version,
                    "score": round(h.score, 4),
                    "match": h.match,
                    "programs": list(h.programs),
                    "record": record_dict(r.record),
                    "evidence": hit_dict(rh)["evidence"],
                    "suppressed": rh.is_suppressed,
                },
            }
            if rh.suppressed_by:
                e = rh.suppressed_by
                result["suppressions"] = [
                    {
                        "kind": "external",
                        "status": "accepted",
                        "justification": e.reason,
                        "properties": {
                            "reviewer": e.reviewer,
                            "expires": e.expires.isoformat(),
                            "allowlist": report.allowlist,
                        },
                    }
                ]
            results.append(result)
    run = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "semanticVersion": __version__,
                "version": __version__,
                "rules": rules,
            }
        },
        "automationDetails": {"id": "sanctions-check/"},
        "invocations": [
            {
                "executionSuccessful": True,
                "exitCode": report.exit_code,
                "toolExecutionNotifications": [{"level": "warning", "message": {"text": w}} for w in report.warnings],
            }
        ],
        "results": results,
        "properties": {
            "min_score": report.min_score,
            "fail_on": report.fail_on.value,
            "mode": report.mode,
            "lists": [{"id": li.id, "version": li.version} for li in report.lists],
            "summary": report.summary(),
        },
    }
    return json.dumps({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}, ensure_ascii=False, indent=2) + "\n"


# --- GitHub Actions workflow commands ------------------------------------------------------------------------------


def escape_data(text: str) -> str:
    """Message escaping of GitHub's workflow commands (actions/toolkit `escapeData`)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Property escaping (actions/toolkit `escapeProperty`): also ':' and ',' which delimit properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(report: CheckReport, *, cwd: Path | None = None, **_: object) -> str:
    """`::error file=F,line=L,title=T::message` per hit (notice when suppressed, warning under --fail-on none)."""
    base = cwd or Path.cwd()
    out = [f"::warning title={escape_property('sanctions check')}::{escape_data(w)}" for w in report.warnings]
    for r in report.results:
        for rh in r.hits:
            if rh.is_suppressed:
                level = "notice"
            else:
                level = "error" if _hit_fails(report, rh) else "warning"
            uri = artifact_uri(r.record.path, base)
            title = f"Sanctions {'match (suppressed)' if rh.is_suppressed else 'match'}: {rh.hit.entity_id}"
            props = f"file={escape_property(uri)},line={r.record.line},title={escape_property(title)}"
            out.append(f"::{level} {props}::{escape_data(chr(10).join(_hit_lines(r, rh)))}")
        if r.skipped:
            uri = artifact_uri(r.record.path, base)
            out.append(f"::warning file={escape_property(uri)},line={r.record.line}::{escape_data(r.skipped)}")
    out.append(report.summary_line())
    return "\n".join(out) + "\n"


RENDERERS: dict[str, Callable[..., str]] = {
    "table": render_table,
    "json": render_json,
    "junit": render_junit,
    "sarif": render_sarif,
    "github": render_github,
}
