"""How the CLI prints: tables, panels, progress bars."""

from __future__ import annotations

import json
import sys
from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from screener.client import schemas
from screener.client.cli.config import err, out


def preview_view(job: schemas.JobCreate, preview: schemas.JobPreview) -> Table:
    derived = set(preview.derived)

    def source(field: str) -> str:
        return "read from the description" if field in derived else "as written"

    table = Table(title=f"{job.title}: what the ranker will read (nothing created)", show_edge=False)
    table.add_column("field")
    table.add_column("value")
    table.add_column("source", style="dim")
    table.add_row("required skills", ", ".join(preview.required_skills) or "-", source("skills"))
    table.add_row("preferred skills", ", ".join(preview.preferred_skills) or "-", source("skills"))
    table.add_row("minimum years", f"{preview.min_years:g}", source("min_years"))
    table.add_row("seniority", preview.seniority or "-", source("seniority"))
    table.add_row("education", preview.education.replace("_", " ") or "-", source("education"))
    table.add_row(
        "weights",
        ", ".join(f"{name} {value:.2f}" for name, value in preview.weights.items() if value),
        "sum to 1",
    )
    for rule in preview.rules:
        table.add_row(f"rule: {rule.rule}", rule.severity, rule.explanation)
    return table


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
    )


COLUMNS = ("rank", "score", "result", "name", "decision", "matched skills", "missing skills", "summary")


def listed(items: list[str], most: int = 5) -> str:
    """A list cut at `most`, saying how many more there are."""
    shown = ", ".join(items[:most])
    return shown + (f" (+{len(items) - most} more)" if len(items) > most else "")


def print_ranked(rows: list[schemas.ResumeRow], output: str, job: schemas.JobOut) -> None:
    if output == "json":
        print(json.dumps(schemas.ranked_document(job.id, job.title, rows), indent=2))
        return
    if output == "csv":
        sys.stdout.write(schemas.ranked_csv(rows))
        return
    table = Table(title=f"{job.title}: ranked ({len(rows)})")
    for column in COLUMNS:
        table.add_column(column, justify="right" if column in ("rank", "score") else "left")
    for r in rows:
        if r.status == "failed":
            result = Text(f"failed: {r.failure_reason or ''}", style="red")
        elif r.passed is None:
            result = Text(r.status, style="dim")
        else:
            result = Text("pass", style="green") if r.passed else Text("fail", style="red")
        table.add_row(
            str(r.rank or ""),
            "" if r.final_score is None else f"{r.final_score:.1f}",
            result,
            (r.candidate_name or r.filename)
            + (f" (+{len(r.other_files)} more files)" if r.other_files else ""),
            r.decision or "",
            listed(r.matched_skills),
            listed(r.missing_skills),
            r.summary or "",
        )
    out.print(table)


def resume_view(resume: schemas.ResumeDetail) -> Group:
    """One resume as `screener resume show` prints it: each part that has something to say."""
    parsed, ranking = resume.parsed or {}, resume.ranking or {}
    parts = [
        _head(resume, parsed),
        _components(resume, ranking),
        _rules(resume, ranking),
        _skills(parsed, ranking),
        _experience(parsed),
        _education(parsed),
        _quality(resume),
        _analysis(resume),
    ]
    return Group(*(part for part in parts if part is not None))


def _head(resume: schemas.ResumeDetail, parsed: dict[str, Any]) -> Panel:
    name = resume.candidate_name or ("(masked)" if resume.redacted else "(no name found)")
    verdict = "" if resume.passed is None else ("[green]pass[/green]" if resume.passed else "[red]fail[/red]")
    head = [f"[bold]{name}[/bold]  {resume.filename}", f"status {resume.status}"]
    if resume.final_score is not None:
        head.append(f"score {resume.final_score:.1f}  rank {resume.rank or '-'}  {verdict}")
    if resume.decision:
        head.append(f"decision: [bold]{resume.decision}[/bold]")
    if resume.failure:
        head.append(f"[red]failed: {resume.failure.get('reason')}: {resume.failure.get('message')}[/red]")
    contact = parsed.get("contact") or {}
    head.append("  ".join(str(contact[k]) for k in ("email", "phone", "location") if contact.get(k)))
    return Panel("\n".join(line for line in head if line), title="resume")


def _components(resume: schemas.ResumeDetail, ranking: dict[str, Any]) -> Table | None:
    if not resume.score_components:
        return None
    weights = ranking.get("weights") or {}
    table = Table(title="score components", show_edge=False)
    for column in ("component", "value", "weight"):
        table.add_column(column, justify="left" if column == "component" else "right")
    for key in ("semantic", "lexical", "skills", "experience", "title"):
        if key in resume.score_components:
            table.add_row(
                key, f"{float(resume.score_components[key]):.2f}", f"{float(weights.get(key, 0)):.2f}"
            )
    penalty = resume.score_components.get("soft_penalty")
    if penalty not in (None, 1, 1.0):
        table.add_row("soft penalty", f"x{float(penalty):.2f}", "")
    return table


def _rules(resume: schemas.ResumeDetail, ranking: dict[str, Any]) -> Panel | None:
    rules = ranking.get("rules") or []
    if not (rules or resume.reasons):
        return None
    lines = [
        f"{'[green]ok[/green]  ' if rule.get('passed') else '[red]no[/red]  '}{rule.get('rule')} "
        f"({rule.get('severity')}): {rule.get('detail')}"
        for rule in rules
    ]
    lines += [f"- {reason}" for reason in resume.reasons]
    if resume.explanation:
        lines.append(resume.explanation)
    return Panel("\n".join(lines), title="rules and reasons")


def _skills(parsed: dict[str, Any], ranking: dict[str, Any]) -> Panel | None:
    matched = list(ranking.get("matched_required", [])) + list(ranking.get("matched_preferred", []))
    missing = list(ranking.get("missing_required", [])) + list(ranking.get("missing_preferred", []))
    skills = [skill.get("name", "") for skill in parsed.get("skills", [])]
    if not (matched or missing or skills):
        return None
    return Panel(
        f"[green]matched[/green] {', '.join(matched) or '-'}\n"
        f"[red]missing[/red] {', '.join(missing) or '-'}\n"
        f"listed  {', '.join(skills[:30]) or '-'}",
        title="skills",
    )


def _experience(parsed: dict[str, Any]) -> Table | None:
    experience = parsed.get("experience") or []
    if not experience:
        return None
    table = Table(
        title=f"experience ({float(parsed.get('total_years_experience', 0)):g} years)", show_edge=False
    )
    for column in ("when", "title", "company"):
        table.add_column(column)
    for entry in experience:
        table.add_row(_span(entry), entry.get("title", ""), entry.get("company", ""))
    return table


def _education(parsed: dict[str, Any]) -> Panel | None:
    education = parsed.get("education") or []
    if not education:
        return None
    lines = []
    for entry in education:
        named = ", ".join(str(entry[k]) for k in ("degree", "institution") if entry.get(k))
        line = str(entry.get("text") or named)
        span = _span(entry)
        lines.append(f"{line} ({span})" if span and span not in line else line)
    return Panel("\n".join(lines), title="education")


def _quality(resume: schemas.ResumeDetail) -> Panel | None:
    quality = resume.quality or {}
    if not quality:
        return None
    issues = ", ".join(quality.get("issues", [])) or "none"
    flags = "; ".join(f"{f.get('kind')}: {str(f.get('text', ''))[:60]}" for f in resume.flags) or "none"
    return Panel(
        f"grade {quality.get('grade', '?')}; issues: {issues}\nflags: {flags}", title="parse quality"
    )


def _analysis(resume: schemas.ResumeDetail) -> Panel | None:
    analysis = resume.analysis or {}
    if not (resume.analysis_status or analysis):
        return None
    lines = [f"status {resume.analysis_status or '-'}"]
    if resume.analysis_label:
        lines.append(f"[bold]{resume.analysis_label}[/bold]")
    if analysis.get("summary"):
        lines.append(str(analysis["summary"]))
    for key in ("strengths", "gaps", "risks", "interview_questions"):
        for item in analysis.get(key, []) or []:
            lines.append(f"{key.replace('_', ' ')}: {item}")
    if analysis.get("error"):
        lines.append(f"[red]{analysis['error'].get('message')}[/red]")
    return Panel("\n".join(lines), title="analysis")


def _span(entry: dict[str, Any]) -> str:
    def when(value: Any) -> str:
        if not isinstance(value, dict) or not value.get("year"):
            return ""
        return (
            f"{value['year']}-{int(value.get('month') or 0):02d}"
            if value.get("month")
            else str(value["year"])
        )

    end = "now" if entry.get("current") else when(entry.get("end"))
    start = when(entry.get("start"))
    return f"{start} - {end}" if start and end else start or end
