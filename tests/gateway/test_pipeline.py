"""The pipeline end to end through the REST API, against the real mesh."""

from __future__ import annotations

import pymupdf

from services.demo.samples import SAMPLE_JOB, SAMPLE_RESUMES, blank_pdf, render_pdf
from tests.conftest import Account
from tests.fake_llm import FakeLlm
from tests.helpers import create_job, upload, wait_for_batch


def _sample(name: str) -> tuple[str, bytes]:
    sample = next(s for s in SAMPLE_RESUMES if s.filename == name)
    return sample.filename, render_pdf(sample.lines, image_only=sample.image_only)


def test_batch_ranks_every_resume_with_scores_reasons_and_counters(account: Account) -> None:
    client = account.client
    job = create_job(client)
    files = [_sample(s.filename) for s in SAMPLE_RESUMES]
    response = upload(client, job["id"], files)
    assert response.status_code == 201, response.text
    items = response.json()["items"]
    assert [i["status"] for i in items] == ["uploaded"] * len(files)
    assert not any(i["duplicate"] for i in items)

    batch = client.post("/api/batches", json={"job_id": job["id"]})
    assert batch.status_code == 202, batch.text
    assert batch.json()["total"] == len(files)
    done = wait_for_batch(client, batch.json()["id"])
    assert (done["completed"], done["failed"]) == (len(files), 0)

    listing = client.get(f"/api/jobs/{job['id']}/resumes").json()
    assert listing["total"] == len(files)
    rows = listing["items"]
    assert [r["rank"] for r in rows] == list(range(1, len(files) + 1))
    # Everyone who passes the knock-out rules ranks above everyone who fails one; each group by score.
    assert [r["passed"] for r in rows] == sorted((r["passed"] for r in rows), reverse=True)
    for group in (True, False):
        scores = [r["final_score"] for r in rows if r["passed"] is group]
        assert scores == sorted(scores, reverse=True)
    by_score = client.get(f"/api/jobs/{job['id']}/resumes", params={"sort": "score"}).json()["items"]
    assert [r["final_score"] for r in by_score] == sorted((r["final_score"] for r in rows), reverse=True)
    # Every number adds up: normalized weights sum to 1, the terms to the shown score; one decimal.
    for row in rows:
        detail = client.get(f"/api/resumes/{row['id']}").json()
        terms = detail["ranking"]["terms"]
        weights = sum(t["weight"] for t in terms if t["name"] != "soft_rules")
        assert abs(weights - 1) <= 0.001, terms
        assert abs(sum(t["contribution"] for t in terms) - row["final_score"]) <= 0.05, (terms, row)
        assert round(row["final_score"], 1) == row["final_score"] == detail["final_score"]
        assert detail["explanation"].startswith(f"Score {row['final_score']:.1f} = ")
        assert row["summary"] and row["summary"] == detail["ranking"]["summary"]
        assert row["reasons"] == detail["reasons"]
    by_file = {r["filename"]: r for r in rows}
    # The strong backend engineers outrank the frontend engineer and the accountant, who fail the screen.
    assert by_file["ada_quinlan.pdf"]["rank"] <= 2
    assert by_file["ada_quinlan.pdf"]["passed"] is True
    assert by_file["farah_nadeem.pdf"]["passed"] is False
    assert by_file["carmen_velez.pdf"]["passed"] is False
    assert by_file["farah_nadeem.pdf"]["final_score"] < by_file["bruno_takeda.pdf"]["final_score"]
    # The image-only resume was read by OCR and ranked among the strong candidates.
    scan = by_file["eliza_park_scan.pdf"]
    assert scan["candidate_name"] == "Eliza Park"
    assert scan["passed"] is True

    detail = client.get(f"/api/resumes/{scan['id']}").json()
    assert detail["parsed"]["stats"]["method"] == "ocr"
    assert detail["parsed"]["contact"]["email"] == "eliza.park@example.com"
    assert detail["rank"] == scan["rank"]

    failing = client.get(f"/api/resumes/{by_file['farah_nadeem.pdf']['id']}").json()
    assert "missing required skill: Python" in failing["reasons"]
    assert "fails the screen" in failing["explanation"]
    assert set(failing["score_components"]) >= {"semantic", "skills", "experience"}

    counters = client.get(f"/api/jobs/{job['id']}").json()
    assert (counters["total_resumes"], counters["completed_resumes"], counters["failed_resumes"]) == (6, 6, 0)
    listed = {j["id"]: j for j in client.get("/api/jobs").json()["items"]}
    assert listed[job["id"]]["completed_resumes"] == 6

    passed_only = client.get(f"/api/jobs/{job['id']}/resumes", params={"passed": "true"}).json()
    assert passed_only["total"] == 4
    assert all(r["passed"] for r in passed_only["items"])
    second_page = client.get(f"/api/jobs/{job['id']}/resumes", params={"page": 2, "page_size": 4}).json()
    assert [r["rank"] for r in second_page["items"]] == [5, 6]


def test_same_file_twice_in_a_job_is_registered_once(account: Account) -> None:
    client = account.client
    job = create_job(client)
    pdf = _sample("bruno_takeda.pdf")
    first = upload(client, job["id"], [pdf, ("copy.pdf", pdf[1])]).json()["items"]
    assert first[0]["duplicate"] is False
    assert first[1]["duplicate"] is True
    assert first[1]["id"] == first[0]["id"]
    again = upload(client, job["id"], [pdf]).json()["items"]
    assert again[0]["duplicate"] is True and again[0]["id"] == first[0]["id"]
    assert client.get(f"/api/jobs/{job['id']}").json()["total_resumes"] == 1
    # Another job may hold the same file as its own resume.
    other_job = create_job(client, title="Data Engineer")
    elsewhere = upload(client, other_job["id"], [pdf]).json()["items"]
    assert elsewhere[0]["duplicate"] is False and elsewhere[0]["id"] != first[0]["id"]


def test_failed_extraction_fails_that_resume_and_the_rest_of_the_batch_completes(account: Account) -> None:
    client = account.client
    job = create_job(client)
    corrupt = b"%PDF-1.7\n1 0 obj\n<<\n" + b"\x00garbage" * 200
    response = upload(
        client, job["id"], [("blank.pdf", blank_pdf()), ("corrupt.pdf", corrupt), _sample("ada_quinlan.pdf")]
    )
    assert response.status_code == 201, response.text
    batch = client.post("/api/batches", json={"job_id": job["id"]}).json()
    done = wait_for_batch(client, batch["id"])
    assert (done["completed"], done["failed"]) == (1, 2)
    rows = {r["filename"]: r for r in client.get(f"/api/jobs/{job['id']}/resumes").json()["items"]}
    assert rows["ada_quinlan.pdf"]["status"] == "completed"
    assert rows["blank.pdf"]["status"] == "failed"
    assert rows["blank.pdf"]["failure_reason"] == "no_text"
    assert rows["corrupt.pdf"]["failure_reason"] == "bad_file"
    blank = client.get(f"/api/resumes/{rows['blank.pdf']['id']}").json()
    assert blank["failure"]["reason"] == "no_text"
    assert blank["final_score"] is None and blank["parsed"] is None
    job_now = client.get(f"/api/jobs/{job['id']}").json()
    assert (job_now["completed_resumes"], job_now["failed_resumes"]) == (1, 2)
    failed_only = client.get(f"/api/jobs/{job['id']}/resumes", params={"status": "failed"}).json()
    assert failed_only["total"] == 2


def test_bad_files_are_refused_and_good_ones_in_the_same_request_kept(account: Account) -> None:
    client = account.client
    job = create_job(client)
    all_bad = upload(client, job["id"], [("notes.pdf", b"just some text, not a pdf"), ("empty.pdf", b"")])
    assert all_bad.status_code == 422
    error = all_bad.json()["error"]
    assert error["code"] == "bad_file"
    assert {d["filename"] for d in error["details"]} == {"notes.pdf", "empty.pdf"}

    mixed = upload(client, job["id"], [("notes.pdf", b"not a pdf"), _sample("ada_quinlan.pdf")])
    assert mixed.status_code == 201
    items = {i["filename"]: i for i in mixed.json()["items"]}
    assert items["notes.pdf"]["error"]["code"] == "bad_file"
    assert items["ada_quinlan.pdf"]["status"] == "uploaded"
    assert client.get(f"/api/jobs/{job['id']}").json()["total_resumes"] == 1


def test_batch_of_named_resumes_reprocesses_them_and_keeps_counters_true(account: Account) -> None:
    client = account.client
    job = create_job(client)
    items = upload(client, job["id"], [_sample("ada_quinlan.pdf"), _sample("farah_nadeem.pdf")]).json()[
        "items"
    ]
    wait_for_batch(client, client.post("/api/batches", json={"job_id": job["id"]}).json()["id"])
    nothing_left = client.post("/api/batches", json={"job_id": job["id"]})
    assert nothing_left.status_code == 422
    again = client.post("/api/batches", json={"job_id": job["id"], "resume_ids": [items[0]["id"]]})
    assert again.status_code == 202 and again.json()["total"] == 1
    wait_for_batch(client, again.json()["id"])
    job_now = client.get(f"/api/jobs/{job['id']}").json()
    assert (job_now["total_resumes"], job_now["completed_resumes"], job_now["failed_resumes"]) == (2, 2, 0)


def _wait_for_analysis(client, resume_id: str) -> dict:  # type: ignore[no-untyped-def]
    import time

    deadline = time.monotonic() + 60
    detail = client.get(f"/api/resumes/{resume_id}").json()
    while detail["analysis_status"] in (None, "pending") and time.monotonic() < deadline:
        time.sleep(0.3)
        detail = client.get(f"/api/resumes/{resume_id}").json()
    return dict(detail)


def _unique_job(client, **overrides):  # type: ignore[no-untyped-def]
    # A job text of its own, so no earlier test's cached analysis answers for it.
    import uuid

    return create_job(
        client, description=f"{SAMPLE_JOB['description']} Ref {uuid.uuid4().hex[:8]}.", **overrides
    )


def test_analysis_on_demand_appears_on_the_resume_and_counts_its_tokens(account: Account) -> None:
    client = account.client
    job = _unique_job(client)
    resume_id = upload(client, job["id"], [_sample("bruno_takeda.pdf")]).json()["items"][0]["id"]
    too_early = client.post(f"/api/resumes/{resume_id}/analysis")
    assert too_early.status_code == 409
    wait_for_batch(client, client.post("/api/batches", json={"job_id": job["id"]}).json()["id"])
    accepted = client.post(f"/api/resumes/{resume_id}/analysis")
    assert accepted.status_code == 202
    assert accepted.json()["analysis_kind"] == "language_model"
    detail = _wait_for_analysis(client, resume_id)
    assert detail["analysis_status"] == "completed"
    analysis = detail["analysis"]
    assert analysis["offline"] is False and analysis["model"] == "fake-model"
    assert analysis["interview_questions"] and analysis["summary"].startswith("Candidate for")
    used = client.get(f"/api/jobs/{job['id']}").json()["tokens_used"]
    assert used == analysis["tokens_in"] + analysis["tokens_out"] > 0
    # The ranking is untouched by the analysis.
    assert (
        detail["final_score"]
        == client.get(f"/api/jobs/{job['id']}/resumes").json()["items"][0]["final_score"]
    )


def test_past_the_token_budget_an_analysis_is_refused_and_costs_nothing(
    account: Account, llm: FakeLlm
) -> None:
    client = account.client
    job = _unique_job(client, token_budget=1)
    ids = [
        i["id"]
        for i in upload(client, job["id"], [_sample("bruno_takeda.pdf"), _sample("ada_quinlan.pdf")]).json()[
            "items"
        ]
    ]
    wait_for_batch(client, client.post("/api/batches", json={"job_id": job["id"]}).json()["id"])
    assert client.post(f"/api/resumes/{ids[0]}/analysis").status_code == 202
    assert _wait_for_analysis(client, ids[0])["analysis_status"] == "completed"
    calls = llm.calls()
    refused = client.post(f"/api/resumes/{ids[1]}/analysis")
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    assert refused.json()["error"]["code"] == "budget_exceeded"
    assert llm.calls() == calls
    assert client.get(f"/api/resumes/{ids[1]}").json()["analysis_status"] is None


def test_top_k_of_a_job_are_analyzed_automatically_after_the_batch(account: Account) -> None:
    client = account.client
    job = _unique_job(client, auto_analyze_top_k=2)
    upload(client, job["id"], [_sample(s.filename) for s in SAMPLE_RESUMES if not s.image_only])
    wait_for_batch(client, client.post("/api/batches", json={"job_id": job["id"]}).json()["id"])
    rows = client.get(f"/api/jobs/{job['id']}/resumes").json()["items"]
    details = [
        _wait_for_analysis(client, row["id"]) if i < 2 else client.get(f"/api/resumes/{row['id']}").json()
        for i, row in enumerate(rows)
    ]
    assert [d["analysis_status"] for d in details[:2]] == ["completed", "completed"]
    assert all(d["analysis_status"] is None for d in details[2:])


def test_pdf_written_by_pymupdf_has_a_text_layer_and_the_scan_has_none() -> None:
    # Guards the fixtures themselves: the OCR test is only meaningful if the scan really has no text.
    text_doc = pymupdf.open(stream=_sample("ada_quinlan.pdf")[1], filetype="pdf")
    scan_doc = pymupdf.open(stream=_sample("eliza_park_scan.pdf")[1], filetype="pdf")
    assert "Ada Quinlan" in text_doc[0].get_text()
    assert scan_doc[0].get_text().strip() == ""


def test_blind_job_masks_the_candidate_until_revealed_and_the_analysis_never_sees_the_name(
    account: Account, llm: FakeLlm
) -> None:
    client = account.client
    job = create_job(client, blind_screening=True)
    assert job["blind_screening"] is True
    resume_id = upload(client, job["id"], [_sample("bruno_takeda.pdf")]).json()["items"][0]["id"]
    wait_for_batch(client, client.post("/api/batches", json={"job_id": job["id"]}).json()["id"])
    row = client.get(f"/api/jobs/{job['id']}/resumes").json()["items"][0]
    assert row["candidate_name"] is None and row["status"] == "completed"
    masked = client.get(f"/api/resumes/{resume_id}").json()
    assert masked["redacted"] is True and masked["candidate_name"] is None
    assert "Bruno" not in masked["parsed"]["full_text"]
    assert "bruno.takeda@example.org" not in masked["parsed"]["full_text"]
    assert masked["parsed"]["redaction"]["applied"] is True
    revealed = client.get(f"/api/resumes/{resume_id}", params={"reveal": "true"}).json()
    assert revealed["redacted"] is False and revealed["candidate_name"] == "Bruno Takeda"
    assert revealed["parsed"]["contact"]["email"] == "bruno.takeda@example.org"
    # The ranking still works on the masked resume, and the analyzer only ever saw the masked one.
    assert masked["passed"] is True
    before = len(llm.prompts())
    assert client.post(f"/api/resumes/{resume_id}/analysis").status_code == 202
    detail = _wait_for_analysis(client, resume_id)
    assert detail["analysis_status"] == "completed"
    sent = " ".join(llm.prompts()[before:])
    assert sent, "the analysis was not sent to the model"
    assert "Bruno" not in sent and "bruno.takeda@example.org" not in sent and "Takeda" not in sent


def test_protected_statements_are_flagged_used_nowhere_and_move_no_score(
    account: Account, llm: FakeLlm
) -> None:
    """Through the mesh, in an ordinary (not blind) job: the same resume under another name and with
    protected attributes written in scores the same; its detail names what was withheld; the model
    never reads those statements."""
    client = account.client
    job = _unique_job(client)
    sample = next(s for s in SAMPLE_RESUMES if s.filename == "ada_quinlan.pdf")
    stated = [
        *[line.replace("Ada Quinlan", "Oluwaseun Adeyemi") for line in sample.lines[:3]],
        "Date of birth: 14 May 1961",
        "Nationality: Nigerian",
        "Marital status: Married, two children",
        "Religion: Muslim",
        *sample.lines[3:],
    ]
    files = [("ada.pdf", render_pdf(sample.lines)), ("oluwaseun.pdf", render_pdf(stated))]
    ids = [item["id"] for item in upload(client, job["id"], files).json()["items"]]
    wait_for_batch(client, client.post("/api/batches", json={"job_id": job["id"]}).json()["id"])
    plain, with_statements = (client.get(f"/api/resumes/{i}").json() for i in ids)
    assert abs(plain["final_score"] - with_statements["final_score"]) <= 0.5
    assert plain["withheld"] is None
    assert with_statements["withheld"]["categories"] == [
        "date_of_birth",
        "family_status",
        "nationality",
        "religion",
    ]
    assert with_statements["candidate_name"] == "Oluwaseun Adeyemi"
    before = len(llm.prompts())
    assert client.post(f"/api/resumes/{ids[1]}/analysis").status_code == 202
    assert _wait_for_analysis(client, ids[1])["analysis_status"] == "completed"
    sent = " ".join(llm.prompts()[before:])
    assert sent and "Oluwaseun" not in sent
    for statement in ("1961", "Nigerian", "Married", "Muslim"):
        assert statement not in sent, statement


def test_one_candidate_in_several_files_is_ranked_once_with_its_files(account: Account) -> None:
    """The same resume as a PDF, a PNG and a JPEG (read by OCR) is one candidate: one row, one rank,
    the other files listed with it; another person's resume keeps its own row."""
    client = account.client
    job = create_job(client)
    sample = next(s for s in SAMPLE_RESUMES if s.filename == "ada_quinlan.pdf")
    pdf = render_pdf(sample.lines)
    page = pymupdf.open(stream=pdf, filetype="pdf")[0]
    png = page.get_pixmap(dpi=200).tobytes("png")
    jpeg = page.get_pixmap(dpi=200).tobytes("jpeg", jpg_quality=90)
    files = [("ada.pdf", pdf), ("ada.png", png), ("ada.jpg", jpeg), _sample("bruno_takeda.pdf")]
    response = client.post(
        f"/api/jobs/{job['id']}/resumes",
        files=[("files", (name, content, "application/octet-stream")) for name, content in files],
    )
    assert response.status_code == 201, response.text
    wait_for_batch(client, client.post("/api/batches", json={"job_id": job["id"]}).json()["id"])
    listing = client.get(f"/api/jobs/{job['id']}/resumes").json()
    assert listing["total"] == 2
    rows = {row["candidate_name"]: row for row in listing["items"]}
    assert set(rows) == {"Ada Quinlan", "Bruno Takeda"} and sorted(r["rank"] for r in rows.values()) == [1, 2]
    ada = rows["Ada Quinlan"]
    names = {ada["filename"], *(f["filename"] for f in ada["other_files"])}
    assert names == {"ada.pdf", "ada.png", "ada.jpg"} and rows["Bruno Takeda"]["other_files"] == []
    for other in ada["other_files"]:
        detail = client.get(f"/api/resumes/{other['id']}").json()
        assert detail["status"] == "completed" and detail["same_candidate_as"] == ada["id"]
        assert detail["rank"] is None
    assert client.get(f"/api/jobs/{job['id']}").json()["completed_resumes"] == 4
