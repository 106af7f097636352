"""REST request and response bodies."""

from __future__ import annotations

import csv
import difflib
import io
import json
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator


def canonical_email(value: str) -> str:
    """The one spelling of an address every later step sees: trimmed, validated, normalized, lower case.

    Applied by the request schemas, so rate-limit keys, look-ups and stored accounts cannot disagree
    about who " Victim@Example.com\t" is.
    """
    try:
        return validate_email(value.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValueError(f"invalid email address: {exc}") from exc


# A skill name: a few words, as the taxonomy has them.
Skill = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]

Email = Annotated[
    str, Field(max_length=320, examples=["recruiter@example.com"]), AfterValidator(canonical_email)
]


class ErrorDetail(BaseModel):
    code: str = Field(description="stable machine-readable code, e.g. not_found, invalid_input, rate_limited")
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    """The body of every error answer."""

    error: ErrorDetail


ERROR_DESCRIPTIONS = {
    400: "the request body could not be read",
    401: "missing, invalid or expired credentials",
    403: "the account may not do this yet",
    404: "not found, or not yours",
    409: "conflicts with the current state",
    413: "the request body, or what it would add, is larger than its bound",
    422: "the request is not valid",
    429: "rate limited; see Retry-After",
    503: "a dependency is unavailable",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error answers a route can give, all with the ErrorResponse body."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        entry: dict[str, Any] = {"model": ErrorResponse, "description": ERROR_DESCRIPTIONS[code]}
        if code == 429:
            entry["headers"] = {
                "Retry-After": {"schema": {"type": "integer"}, "description": "seconds to wait"}
            }
        out[code] = entry
    return out


ResumeStatus = Literal["uploaded", "queued", "extracting", "ranking", "completed", "failed"]
ResumeSort = Literal["rank", "score", "name", "uploaded"]
# A person's decision on a candidate; "none" filters the candidates no one has decided on yet.
DecisionKind = Literal["shortlist", "hold", "reject"]
DecisionFilter = Literal["shortlist", "hold", "reject", "none"]


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, str] = Field(description="each dependency: ok, or why not")


class SignupRequest(BaseModel):
    email: Email
    password: str = Field(min_length=1, max_length=256)
    name: str = Field(min_length=1, max_length=200)


class SignupResponse(BaseModel):
    """The same answer whether or not the address already had an account."""

    email: str = Field(description="the address, as the account will know it")
    message: str


class VerifyRequest(BaseModel):
    email: Email
    code: str = Field(min_length=4, max_length=12)


class EmailRequest(BaseModel):
    email: Email


class PasswordResetRequest(BaseModel):
    email: Email
    code: str = Field(min_length=4, max_length=12)
    new_password: str = Field(min_length=1, max_length=256)


class Accepted(BaseModel):
    message: str


class LoginRequest(BaseModel):
    email: Email
    password: str = Field(max_length=256)


class RefreshRequest(BaseModel):
    refresh_token: str = Field(min_length=10, max_length=200)


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int


class StrictModel(BaseModel):
    """A body whose unknown fields are refused with the closest known one named: a misspelt
    `required_skils` or `min_years` never creates a job without the recruiter's requirement."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _known_fields(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = sorted(cls.model_fields)
            for key in data:
                if key not in cls.model_fields:
                    close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.5)
                    hint = f"did you mean '{close[0]}'?" if close else "known fields: " + ", ".join(known)
                    raise ValueError(f"unknown field '{key}': {hint}")
        return data


class Weights(StrictModel):
    """Relative weight of each score component; omitted ones keep their defaults, 0 turns one off."""

    semantic: float | None = Field(default=None, ge=0, le=10)
    lexical: float | None = Field(default=None, ge=0, le=10)
    skills: float | None = Field(default=None, ge=0, le=10)
    experience: float | None = Field(default=None, ge=0, le=10)
    title: float | None = Field(default=None, ge=0, le=10)


RuleSeverity = Literal["hard", "soft", "off"]


class Rules(StrictModel):
    """Knock-out rules: hard fails the screen, soft lowers the score, off skips the rule."""

    required_skills: RuleSeverity | None = None
    min_years: RuleSeverity | None = None
    education: RuleSeverity | None = None


Education = Literal["", "high_school", "associate", "bachelor", "master", "doctorate"]


class JobCreate(StrictModel):
    title: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=50_000)
    required_skills: list[Skill] = Field(default_factory=list, max_length=100)
    preferred_skills: list[Skill] = Field(default_factory=list, max_length=100)
    min_years_experience: float = Field(default=0, ge=0, le=60)
    blind_screening: bool = Field(default=False, description="mask personal details before ranking")
    weights: Weights = Field(default_factory=Weights)
    rules: Rules = Field(default_factory=Rules)
    required_education: Education = ""
    token_budget: int | None = Field(default=None, ge=0, description="LLM tokens this job may spend")
    auto_analyze_top_k: int = Field(default=0, ge=0, le=500, description="analyze the top K after each batch")
    candidate_notice: str = Field(
        default="", max_length=10_000, description="the notice to candidates; empty: written from the job"
    )


class RuleInForce(BaseModel):
    rule: str
    severity: Literal["hard", "soft", "off"]
    explanation: str


class SkillSuggestion(BaseModel):
    name: str = Field(description="the skill's name in the taxonomy")
    family: str


class SkillSuggestions(BaseModel):
    items: list[SkillSuggestion]
    taxonomy_version: int


class JobPreview(BaseModel):
    """What the ranker will read from a job, before it is created: the recruiter's own lists win, and what
    they leave out is derived from the description."""

    required_skills: list[str]
    preferred_skills: list[str]
    min_years: float
    seniority: str = Field(description="intern, junior, mid, senior, lead, manager, director, or empty")
    education: str
    derived: list[str] = Field(description="which of the above were read from the description")
    weights: dict[str, float] = Field(description="normalized: they sum to 1")
    rules: list[RuleInForce]


class JobUpdate(StrictModel):
    """Fields to change; a change to anything that scores re-scores every processed resume of the job."""

    title: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=50_000)
    required_skills: list[Skill] | None = Field(default=None, max_length=100)
    preferred_skills: list[Skill] | None = Field(default=None, max_length=100)
    min_years_experience: float | None = Field(default=None, ge=0, le=60)
    blind_screening: bool | None = None
    weights: Weights | None = None
    rules: Rules | None = None
    required_education: Education | None = None
    token_budget: int | None = Field(default=None, ge=0)
    auto_analyze_top_k: int | None = Field(default=None, ge=0, le=500)
    closed: bool | None = Field(
        default=None,
        description="close the job (its resumes are erased after the retention period) or reopen it",
    )
    legal_hold: bool | None = Field(default=None, description="keep the resumes past the retention period")
    candidate_notice: str | None = Field(default=None, max_length=10_000)


class JobOut(BaseModel):
    id: uuid.UUID
    title: str
    description: str
    required_skills: list[str]
    preferred_skills: list[str]
    min_years_experience: float
    blind_screening: bool
    weights: dict[str, float]
    rules: dict[str, str]
    required_education: str
    tokens_used: int
    token_budget: int | None
    auto_analyze_top_k: int
    rescore_batch_id: uuid.UUID | None = None
    total_resumes: int
    completed_resumes: int
    failed_resumes: int
    shortlisted_resumes: int = Field(default=0, description="resumes whose current decision is shortlist")
    running_batch_id: uuid.UUID | None = Field(default=None, description="the batch in progress, if any")
    closed_at: datetime | None = Field(default=None, description="when the job was closed")
    legal_hold: bool = False
    candidate_notice: str = Field(default="", description="the employer's own notice, if set")
    last_updated_at: datetime
    created_at: datetime


class JobList(BaseModel):
    items: list[JobOut]


class UploadItemOut(BaseModel):
    id: uuid.UUID | None = None
    filename: str
    sha256: str | None = None
    status: str | None = None
    duplicate: bool = False
    error: dict[str, str] | None = None


class UploadResponse(BaseModel):
    items: list[UploadItemOut]


class BatchCreate(BaseModel):
    job_id: uuid.UUID
    resume_ids: list[uuid.UUID] | None = Field(default=None, max_length=10_000)


class BatchOut(BaseModel):
    id: uuid.UUID
    job_id: uuid.UUID
    total: int
    completed: int
    failed: int
    status: Literal["running", "done"]
    stalled: bool = Field(
        default=False, description="running, but no resume finished for BATCH_STALL_SECONDS"
    )
    last_progress_at: datetime | None = Field(default=None, description="when a resume last finished")
    created_at: datetime
    finished_at: datetime | None = None


class IdMatches(BaseModel):
    ids: list[uuid.UUID] = Field(description="at most two: one means the prefix is unambiguous")


class CandidateFile(BaseModel):
    id: uuid.UUID
    filename: str


class ResumeRow(BaseModel):
    id: uuid.UUID
    filename: str
    status: str
    final_score: float | None
    rank: int | None
    passed: bool | None
    candidate_name: str | None
    failure_reason: str | None = None
    matched_skills: list[str] = Field(default_factory=list)
    missing_skills: list[str] = Field(default_factory=list)
    summary: str | None = Field(default=None, description="the score in plain language")
    reasons: list[str] = Field(default_factory=list, description="every rule result, once")
    other_files: list[CandidateFile] = Field(
        default_factory=list,
        description="more files of the same candidate (same email or phone, or near-identical text): "
        "the candidate is ranked once",
    )
    decision: DecisionKind | None = Field(default=None, description="the current decision, if any")


RANKED_CSV_COLUMNS = [
    "rank",
    "final_score",
    "passed",
    "candidate_name",
    "filename",
    "status",
    "matched_skills",
    "missing_skills",
    "summary",
    "reasons",
    "failure_reason",
    "decision",
    "resume_id",
]


# A spreadsheet reads a cell starting with one of these as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    """A text cell a spreadsheet shows as text: a leading quote disarms a would-be formula."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def ranked_csv(rows: list[ResumeRow]) -> str:
    """A ranked table as CSV: the export's format, also what `screener screen --output csv` prints.

    Every text cell that comes from a file or a candidate (names, file names, skills, reasons) goes
    through csv_text, so a name such as `=cmd|' /C calc'!A0` is shown, never run."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(RANKED_CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.rank or "",
                "" if row.final_score is None else f"{row.final_score:.1f}",
                "" if row.passed is None else str(row.passed).lower(),
                csv_text(row.candidate_name or ""),
                csv_text(row.filename),
                row.status,
                csv_text("; ".join(row.matched_skills)),
                csv_text("; ".join(row.missing_skills)),
                csv_text(row.summary or ""),
                csv_text("; ".join(row.reasons)),
                csv_text(row.failure_reason or ""),
                row.decision or "",
                row.id,
            ]
        )
    return buffer.getvalue()


def ranked_document(job_id: uuid.UUID, title: str, rows: list[ResumeRow]) -> dict[str, Any]:
    """A ranked table as JSON: the job and its rows in rank order."""
    return {"job_id": str(job_id), "title": title, "items": [row.model_dump(mode="json") for row in rows]}


class ResumePage(BaseModel):
    items: list[ResumeRow]
    total: int
    page: int
    page_size: int


class Withheld(BaseModel):
    """Statements about who the candidate is, found in the resume and used nowhere."""

    categories: list[str] = Field(
        description="kinds of statement present: date_of_birth, gender, family_status, pregnancy, "
        "nationality, religion, ethnicity, disability, veteran_status (never their values)"
    )
    photo: bool = Field(description="the resume carries a photo")
    note: str = Field(
        default="Present in the resume and not used: no score, ranking, rule or analysis reads them."
    )


class ResumeDetail(BaseModel):
    id: uuid.UUID
    job_id: uuid.UUID
    batch_id: uuid.UUID | None
    filename: str
    sha256: str
    content_type: str
    size_bytes: int
    status: str
    failure: dict[str, str | None] | None
    candidate_name: str | None
    redacted: bool = False
    quality: dict[str, Any] | None = Field(default=None, description="parse-quality grade and its issues")
    flags: list[dict[str, Any]] = Field(
        default_factory=list, description="hidden or manipulative content found"
    )
    parsed: dict[str, Any] | None
    final_score: float | None
    rank: int | None
    passed: bool | None
    reasons: list[str]
    explanation: str | None
    score_components: dict[str, Any] | None
    ranking: dict[str, Any] | None
    withheld: Withheld | None = Field(
        default=None, description="protected attributes the resume states, which nothing reads"
    )
    same_candidate_as: uuid.UUID | None = Field(
        default=None,
        description="the first file of the same candidate in this job, when this file repeats it",
    )
    analysis_status: str | None
    analysis: dict[str, Any] | None
    analysis_label: str | None = Field(
        default=None,
        description="who wrote the analysis: a language model (named), or the rule-based analysis when "
        "no language model is configured",
    )
    stage_seconds: dict[str, Any]
    decision: DecisionKind | None = Field(default=None, description="the current decision, if any")
    scored_with: dict[str, Any] | None = Field(
        default=None,
        description="what made the score: scorer_version, taxonomy_version and model; the same versions "
        "give the same score for the same resume and job",
    )
    created_at: datetime
    updated_at: datetime


class DecisionCreate(StrictModel):
    decision: DecisionKind
    note: str = Field(default="", max_length=2000, description="why: kept with the decision")


class DecisionOut(BaseModel):
    id: uuid.UUID
    resume_id: uuid.UUID
    decision: DecisionKind
    note: str
    decided_by: str = Field(description="the address of the person who decided")
    created_at: datetime


class DecisionHistory(BaseModel):
    items: list[DecisionOut] = Field(description="every decision on the candidate, latest first")


class AnalysisAccepted(BaseModel):
    resume_id: uuid.UUID
    analysis_status: str
    analysis_kind: Literal["language_model", "rule_based"] | None = Field(
        default=None,
        description="what will write it: a language model, or the rule-based analysis when none is "
        "configured; empty when the analyzer is not running yet (it starts when work waits)",
    )
    message: str = ""


class ApiKeyCreate(BaseModel):
    name: str = Field(
        min_length=1, max_length=100, description="what the key is for, e.g. the calling service"
    )


class ApiKeyOut(BaseModel):
    id: uuid.UUID
    name: str
    prefix: str = Field(description="the first characters of the key, to tell keys apart")
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="the secret; shown only in this response")


class ApiKeyList(BaseModel):
    items: list[ApiKeyOut]


class AuditEntry(BaseModel):
    """One act in the audit trail. `hash` is SHA-256 over `prev_hash` and the entry's canonical JSON
    (screener audit verify recomputes it), so an edited or missing entry shows."""

    seq: int = Field(description="the entry's place in the account's trail, from 1")
    owner_id: uuid.UUID = Field(description="the account whose trail it is")
    at: datetime
    actor_id: uuid.UUID | None = Field(description="who acted; empty for the system's own acts")
    api_key_id: uuid.UUID | None = Field(description="the API key they acted with, if any")
    client: str = Field(description="where from: the client's address, or 'system'")
    action: str = Field(description="e.g. job.created, decision.made, resume.revealed, export")
    object_type: str
    object_id: str
    details: dict[str, Any]
    prev_hash: str
    hash: str


class AuditPage(BaseModel):
    items: list[AuditEntry]
    total: int
    page: int
    page_size: int


AUDIT_CSV_COLUMNS = [
    "seq",
    "owner_id",
    "at",
    "actor_id",
    "api_key_id",
    "client",
    "action",
    "object_type",
    "object_id",
    "details",
    "prev_hash",
    "hash",
]


def audit_csv(entries: list[AuditEntry]) -> str:
    """The trail as CSV: one row per entry, details as JSON; cells a spreadsheet would run are disarmed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(AUDIT_CSV_COLUMNS)
    for entry in entries:
        data = entry.model_dump(mode="json")
        data["details"] = json.dumps(data["details"], sort_keys=True, separators=(",", ":"))
        writer.writerow([csv_text(str(data[c])) if data[c] is not None else "" for c in AUDIT_CSV_COLUMNS])
    return buffer.getvalue()


class DemographicsUploaded(BaseModel):
    matched: int = Field(description="candidates whose data was stored (replacing what was there)")
    unmatched: list[dict[str, Any]] = Field(description="rows that named no resume of the job, by line")
    errors: list[dict[str, Any]] = Field(description="rows that could not be read, by line, with the reason")


class BiasGroup(BaseModel):
    category: str
    candidates: int
    share: float = Field(description="of the candidates audited")
    small: bool = Field(description="under 2% of the candidates: reported, left out of the impact ratios")
    selected: int = Field(description="passed the screen")
    selection_rate: float
    selection_impact_ratio: float | None
    shortlisted: int = Field(description="shortlisted by a person")
    shortlist_rate: float
    shortlist_impact_ratio: float | None
    above_median: int
    scoring_rate: float = Field(description="share scoring above the median of everyone audited")
    scoring_impact_ratio: float | None
    below_four_fifths: list[str] = Field(description="the rates whose impact ratio is under 0.8")


class BiasDimension(BaseModel):
    dimension: Literal["sex", "race_ethnicity", "sex_and_race_ethnicity"]
    groups: list[BiasGroup]
    unknown: int = Field(description="candidates without the data in this dimension")


class BiasAudit(BaseModel):
    job_id: uuid.UUID | None = Field(description="the job audited; empty for an audit across jobs")
    since: datetime | None = None
    until: datetime | None = None
    candidates: int
    median_score: float | None
    dimensions: list[BiasDimension]
    method: str = Field(
        default="Selection rate: share of a category that passed the screen (and, beside it, that a person "
        "shortlisted). Scoring rate: share scoring above the median score of all candidates audited. Impact "
        "ratio: a category's rate over the highest rate among categories of at least 2% of the candidates."
    )


BIAS_CSV_COLUMNS = [
    "dimension",
    "category",
    "candidates",
    "share",
    "small",
    "selected",
    "selection_rate",
    "selection_impact_ratio",
    "shortlisted",
    "shortlist_rate",
    "shortlist_impact_ratio",
    "above_median",
    "scoring_rate",
    "scoring_impact_ratio",
    "below_four_fifths",
]


def bias_csv(report: BiasAudit) -> str:
    """A bias audit as one CSV row per category (and one 'unknown' row per dimension), as published."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(BIAS_CSV_COLUMNS)
    for dimension in report.dimensions:
        for group in dimension.groups:
            data = group.model_dump()
            data["below_four_fifths"] = " ".join(group.below_four_fifths)
            cells = [dimension.dimension] + [data[c] for c in BIAS_CSV_COLUMNS[1:]]
            writer.writerow(["" if v is None else (f"{v:.4f}" if isinstance(v, float) else v) for v in cells])
        writer.writerow(
            [dimension.dimension, "unknown", dimension.unknown] + [""] * (len(BIAS_CSV_COLUMNS) - 3)
        )
    return buffer.getvalue()


class CandidateRef(StrictModel):
    """A candidate, named by one of their resumes or by their email (as they write in to ask)."""

    resume_id: uuid.UUID | None = None
    email: Email | None = None


class ErasureReport(BaseModel):
    resumes: int = Field(description="resumes of the candidate erased, in every job")
    jobs: int
    files: int = Field(description="original files removed from storage (no other resume held them)")
    cache_entries: int = Field(description="analysis cache entries made from their resumes")
    dead_letters: int = Field(description="messages given up on that carried their data")


class Retention(StrictModel):
    retention_days: int | None = Field(
        default=None,
        ge=0,
        le=3650,
        description="days a closed job keeps its resumes before they are erased; empty: the default",
    )


class RetentionOut(BaseModel):
    retention_days: int = Field(description="in force for this account")
    default_days: int = Field(description="the gateway's default")
    custom: bool


class CounterfactualRequest(StrictModel):
    resumes: int = Field(
        default=10, ge=1, le=50, description="how many of the job's top-ranked resumes to audit"
    )


class CounterfactualChange(BaseModel):
    variants: int
    largest: float = Field(description="the largest score change, in points of 100")
    mean: float = Field(description="the mean absolute score change")


class CounterfactualCase(BaseModel):
    resume_id: uuid.UUID
    kind: Literal["name", "attribute"]
    label: str = Field(description="the name given, or the statement written in")
    points: float = Field(description="the variant's score minus the resume's own")


class CounterfactualAudit(BaseModel):
    job_id: uuid.UUID
    resumes: int
    changes: dict[str, CounterfactualChange] = Field(description="by kind of change: name, attribute")
    worst: list[CounterfactualCase] = Field(description="the five largest changes")
    stored: bool = Field(default=False, description="nothing of the audit's scoring is kept")


class CandidateNotice(BaseModel):
    job_id: uuid.UUID
    notice: str = Field(description="the employer's text, or one written from the job")
    written_from_the_job: bool


class QuotaUse(BaseModel):
    used: int
    limit: int


class AccountUsage(BaseModel):
    """What the account uses of each quota: past one, uploads or batches are refused naming it."""

    resumes: QuotaUse
    storage_bytes: QuotaUse
    batches_last_hour: QuotaUse
    analysis_tokens: QuotaUse
