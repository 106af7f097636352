"""Bias audits: the arithmetic on a constructed set of candidates with known rates, the employer's
demographic upload (by resume id or email, bad rows named), the audit of a job and of the account as
JSON and CSV, and demographic data that goes nowhere else and leaves with its resume."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid

import pytest

from services.gateway.bias_audit import Candidate, audit
from services.launcher import Mesh
from tests.conftest import Account
from tests.helpers import connect_db, create_job

# (sex, race, scores, passed, shortlisted): scores 90..52 and one unknown candidate at 50, so the median
# of the 40 is 70.5 and exactly the twenty white candidates score above it.
GROUPS = [
    ("female", "white", range(90, 80, -1), 8, 4),
    ("male", "white", range(80, 70, -1), 10, 5),
    ("female", "asian", range(70, 60, -1), 5, 1),
    ("male", "asian", range(60, 51, -1), 3, 0),
    (None, None, [50], 1, 0),
]


def _candidates() -> list[tuple[str | None, str | None, float, bool, bool]]:
    out = []
    for sex, race, scores, passed, shortlisted in GROUPS:
        for i, score in enumerate(scores):
            out.append((sex, race, float(score), i < passed, i < shortlisted))
    return out


def test_the_rates_and_impact_ratios_are_those_of_the_rule() -> None:
    result = audit(
        Candidate(score, passed, short, sex, race) for sex, race, score, passed, short in _candidates()
    )
    assert result.candidates == 40 and result.median_score == 70.5
    by = {d.name: {g.category: g for g in d.groups} for d in result.dimensions}
    unknown = {d.name: d.unknown for d in result.dimensions}
    assert unknown == {"sex": 1, "race_ethnicity": 1, "sex_and_race_ethnicity": 1}
    female, male = by["sex"]["female"], by["sex"]["male"]
    assert (female.candidates, female.selected, female.shortlisted, female.above_median) == (20, 13, 5, 10)
    assert (male.candidates, male.selected, male.shortlisted, male.above_median) == (19, 13, 5, 10)
    assert female.rates == {"selection": 0.65, "shortlist": 0.25, "scoring": 0.5}
    assert male.impact_ratios == {"selection": 1.0, "shortlist": 1.0, "scoring": 1.0}
    assert female.impact_ratios["selection"] == pytest.approx(0.65 / (13 / 19))
    assert female.impact_ratios["scoring"] == pytest.approx(0.5 / (10 / 19))
    assert female.below_four_fifths == []
    asian, white = by["race_ethnicity"]["asian"], by["race_ethnicity"]["white"]
    assert white.rates == {"selection": 0.9, "shortlist": 0.45, "scoring": 1.0}
    assert asian.impact_ratios["selection"] == pytest.approx((8 / 19) / 0.9)
    assert asian.impact_ratios["scoring"] == 0.0
    assert asian.below_four_fifths == ["selection", "shortlist", "scoring"]
    both = by["sex_and_race_ethnicity"]
    assert set(both) == {"female / asian", "female / white", "male / asian", "male / white"}
    assert both["male / white"].impact_ratios["selection"] == 1.0
    assert (
        both["female / white"].impact_ratios["selection"] == 0.8
        and not both["female / white"].below_four_fifths
    )


def test_a_category_under_two_percent_is_reported_but_left_out_of_the_ratios() -> None:
    rows = [Candidate(60.0, False, False, "female", "white") for _ in range(30)]
    rows += [Candidate(70.0, True, False, "male", "white") for _ in range(30)]
    rows.append(Candidate(90.0, True, True, "male", "asian"))  # 1 of 61: under 2%
    race = {g.category: g for g in audit(rows).dimensions[1].groups}
    assert race["asian"].small and race["asian"].impact_ratios["selection"] is None
    # The small category, selected at 100%, is not the reference: white is, at its own rate.
    assert race["white"].impact_ratios["selection"] == 1.0 and not race["white"].small


async def _insert(mesh: Mesh, job_id: str) -> list[uuid.UUID]:
    conn = await connect_db(mesh)
    try:
        owner = await conn.fetchval("SELECT owner_id FROM jobs WHERE id = $1", uuid.UUID(job_id))
        ids, records = [], []
        for n, (_, _, score, passed, shortlisted) in enumerate(_candidates()):
            resume_id = uuid.uuid4()
            ids.append(resume_id)
            records.append(
                (
                    resume_id,
                    uuid.UUID(job_id),
                    owner,
                    f"c{n}.pdf",
                    f"{n:064x}",
                    "application/pdf",
                    1000,
                    "completed",
                    f"Candidate {n}",
                    score,
                    passed,
                    "{}",
                    "shortlist" if shortlisted else None,
                    f"c{n}@example.com",
                )
            )
        await conn.copy_records_to_table(
            "resumes",
            records=records,
            columns=[
                "id",
                "job_id",
                "owner_id",
                "filename",
                "sha256",
                "content_type",
                "size_bytes",
                "status",
                "candidate_name",
                "final_score",
                "passed",
                "stage_seconds",
                "decision",
                "email_key",
            ],
        )
        return ids
    finally:
        await conn.close()


async def _count(mesh: Mesh, resume_id: uuid.UUID) -> int:
    conn = await connect_db(mesh)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM demographics WHERE resume_id = $1", resume_id))
    finally:
        await conn.close()


def test_a_jobs_bias_audit_from_the_employers_data(
    account: Account, other_account: Account, mesh: Mesh
) -> None:
    client = account.client
    job = create_job(client)
    ids = asyncio.run(_insert(mesh, job["id"]))
    lines = ["resume_id,email,sex,race_ethnicity"]
    for n, (sex, race, *_rest) in enumerate(_candidates()):
        if sex is None:
            continue  # the candidate who gave nothing
        label = {"white": "White", "asian": "Asian"}[race]
        # Half named by resume id, half by email (written as people write it), in the LL144 wording.
        lines.append(f"{ids[n]},,{sex.title()},{label}" if n % 2 else f",C{n}@Example.com,{sex},{label}")
    lines += [",nobody@example.com,female,White", f"{ids[0]},,robot,White", "not-an-id,,male,Asian"]
    answer = client.post(
        f"/api/jobs/{job['id']}/demographics",
        files={"file": ("demographics.csv", "\n".join(lines).encode(), "text/csv")},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["matched"] == 39
    assert [u["line"] for u in body["unmatched"]] == [41]
    assert [e["line"] for e in body["errors"]] == [42, 43] and "robot" in body["errors"][0]["reason"]

    report = client.get(f"/api/jobs/{job['id']}/bias-audit").json()
    assert report["candidates"] == 40 and report["median_score"] == 70.5
    sex = {g["category"]: g for g in report["dimensions"][0]["groups"]}
    assert sex["female"]["selection_rate"] == 0.65 and sex["female"][
        "selection_impact_ratio"
    ] == pytest.approx(0.95)
    race = {g["category"]: g for g in report["dimensions"][1]["groups"]}
    assert race["asian"]["below_four_fifths"] == ["selection", "shortlist", "scoring"]
    assert report["dimensions"][2]["unknown"] == 1
    table = list(csv.DictReader(io.StringIO(client.get(f"/api/jobs/{job['id']}/bias-audit?format=csv").text)))
    asian_row = next(r for r in table if r["dimension"] == "race_ethnicity" and r["category"] == "asian")
    assert (
        asian_row["selection_rate"] == f"{8 / 19:.4f}"
        and asian_row["below_four_fifths"] == "selection shortlist scoring"
    )
    assert any(r["category"] == "unknown" and r["candidates"] == "1" for r in table)
    # Across the account's jobs, for a time range that holds them.
    assert client.get("/api/bias-audit").json()["candidates"] >= 40

    # The data goes nowhere else: not in the resume's detail, nor its row; another account cannot upload.
    detail = json.dumps(client.get(f"/api/resumes/{ids[1]}").json())
    assert "asian" not in detail.lower() and "race" not in detail.lower()
    refused = other_account.client.post(
        f"/api/jobs/{job['id']}/demographics", files={"file": ("d.csv", b"resume_id,sex\n", "text/csv")}
    )
    assert refused.status_code == 404
    assert other_account.client.get(f"/api/jobs/{job['id']}/bias-audit").status_code == 404
    # And it leaves with its resume.
    assert asyncio.run(_count(mesh, ids[1])) == 1
    client.delete(f"/api/resumes/{ids[1]}").raise_for_status()
    assert asyncio.run(_count(mesh, ids[1])) == 0
    trail = client.get("/api/audit", params={"action": "demographics"}).json()["items"]
    assert trail and trail[-1]["details"] == {"matched": 39, "unmatched": 1, "errors": 2}
