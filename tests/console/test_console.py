"""A recruiter's day in the console, in Chromium against the real mesh: sign up with the mailed code,
create a job from its preview, upload a folder, watch the batch, open the top candidate, check that the
score's parts add up, shortlist with a note, filter by decision, export, and come back after the session
ends; another recruiter sees none of it. Every page is checked with axe-core (WCAG 2.2 AA) and kept as a
screenshot under test-artifacts/console/."""

from __future__ import annotations

import csv
import io
import re
import uuid
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from services.demo.mailbox import MailSink
from services.demo.samples import SAMPLE_JOB, write_samples
from services.launcher import Mesh
from tests.conftest import PASSWORD, Account
from tests.console.conftest import TABLET, Console
from tests.helpers import create_job, upload, wait_for_batch

TIMEOUT = 120_000  # ms: a batch on a loaded two-core machine


def accessible(console: Console, name: str) -> None:
    console.shot(name)
    violations = console.axe(name)
    assert violations == [], f"{name}: {violations}"


def sign_up(page: Page, mailbox: MailSink, email: str) -> None:
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Your name", exact=True).fill("Console Recruiter")
    page.get_by_label("Work email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Send me a code").click()
    expect(page.get_by_label("Code", exact=True)).to_be_visible()


def session_of(page: Page) -> dict:
    return dict(page.evaluate("JSON.parse(localStorage.getItem('screener.session'))"))


def resume_folder(root: Path) -> Path:
    """A folder as a recruiter would have it: resumes in a subfolder, the same resume twice under two
    names, and a file that is not a resume."""
    folder = root / "applicants"
    paths = write_samples(folder / "week-48")
    (folder / "again.pdf").write_bytes(paths[0].read_bytes())
    (folder / "notes.txt").write_text("call back on Monday")
    return folder


def sign_in(page: Page, email: str) -> None:
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def expire_access(page: Page) -> None:
    """The stored access token as one that has run out would be: refused by the API."""
    page.evaluate(
        "const s = JSON.parse(localStorage.getItem('screener.session'));"
        "s.access = 'expired'; localStorage.setItem('screener.session', JSON.stringify(s));"
    )


def _signs_up(console: Console, mailbox: MailSink, email: str) -> Page:
    page = console.go("/")
    # Signed out, the console asks to sign in; the API's own pages are untouched.
    expect(page).to_have_url(re.compile(r"/login"))
    accessible(console, "01-sign-in")
    sign_up(page, mailbox, email)
    accessible(console, "02-sign-up-code")
    page.get_by_label("Code", exact=True).fill(mailbox.code_for(email))
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page.get_by_role("heading", name="No jobs yet")).to_be_visible()
    accessible(console, "03-jobs-empty")
    return page


def _creates_a_job_from_its_preview(console: Console, page: Page) -> str:
    """A job from its preview: what the description says is derived before anything is saved."""
    page.get_by_role("link", name="New job").first.click()
    page.get_by_label("Title", exact=True).fill(SAMPLE_JOB["title"])
    page.get_by_label("Description", exact=True).fill(
        SAMPLE_JOB["description"] + " At least 4 years of experience. A bachelor's degree is required."
    )
    skills = page.get_by_label("Required skills", exact=True)
    for skill in SAMPLE_JOB["required_skills"]:
        skills.fill(skill)
        skills.press("Enter")
    preferred = page.get_by_label("Preferred skills", exact=True)
    preferred.fill("Kubernetes")
    preferred.press("Enter")
    preview = page.locator("aside.preview")
    expect(preview).to_contain_text("Python, PostgreSQL, Docker")
    expect(preview).to_contain_text("bachelor")
    expect(preview).to_contain_text("from the description")
    page.get_by_label("Required skills rule", exact=True).select_option("hard")
    expect(preview).to_contain_text("hard · every required skill must be found")
    accessible(console, "04-job-editor")
    page.get_by_role("button", name="Create job").click()
    expect(page.get_by_role("heading", name=SAMPLE_JOB["title"])).to_be_visible()
    return page.url


def _uploads_a_folder_and_screens_it(console: Console, page: Page, tmp_path: Path) -> None:
    """A whole folder: per-file outcomes, the duplicate named, the stray file refused with its reason;
    then the batch, followed live: progress, then every row ranked."""
    folder = resume_folder(tmp_path)
    page.get_by_test_id("folder-input").set_input_files(folder)
    summary = page.locator(".upload-summary")
    expect(summary).to_contain_text("6 added, 1 already in this job, 1 refused", timeout=TIMEOUT)
    files = page.get_by_role("list", name="Uploaded files")
    expect(files.locator("li.refused")).to_contain_text("notes.txt")
    # Whichever of the two arrived second is named a duplicate of the other.
    duplicate = files.locator("li.duplicate")
    named = re.compile(r"(again|ada_quinlan)\.pdf\s*duplicate of .*(again|ada_quinlan)\.pdf")
    expect(duplicate).to_contain_text(named)
    expect(files).to_contain_text("applicants/week-48/ada_quinlan.pdf")
    accessible(console, "05-upload")

    page.get_by_role("button", name=re.compile("Start screening")).click()
    expect(page.get_by_test_id("batch-progress")).to_be_visible()
    expect(page.get_by_text("The batch finished")).to_be_visible(timeout=TIMEOUT)
    rows = page.locator("table.candidates tbody tr")
    expect(rows).to_have_count(6)
    expect(page.locator("dl.counters")).to_contain_text("6")
    accessible(console, "06-ranked-table")
    page.set_viewport_size(TABLET)
    accessible(console, "06b-ranked-table-tablet")
    page.set_viewport_size({"width": 1366, "height": 900})


def _opens_the_top_candidate_by_keyboard(console: Console, page: Page) -> str:
    """Arrows move between candidates, Enter opens one; its chart's parts add up to the score shown."""
    links = page.locator("a.candidate")
    links.nth(0).focus()
    page.keyboard.press("ArrowDown")
    expect(links.nth(1)).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(links.nth(0)).to_be_focused()
    top_name = links.nth(0).inner_text()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name=top_name)).to_be_visible()
    expect(page.locator("table.terms")).to_be_visible()
    score = float(page.locator(".big-score").inner_text())
    points = [float(p) for p in page.locator("table.terms tbody td.points").all_inner_texts()]
    assert abs(sum(points) - score) < 0.05, (points, score)
    assert float(page.get_by_test_id("terms-total").inner_text()) == score
    expect(page.locator(".resume-text mark").first).to_be_visible()
    expect(page.locator("img.page-image")).to_be_visible()
    expect(page.locator("ol.timeline li").first).to_contain_text("Relevance to this job")
    accessible(console, "07-candidate")
    return page.url.rsplit("/", 1)[-1]


def _shortlists_filters_and_exports(
    console: Console, page: Page, email: str, job_url: str, resume_id: str
) -> None:
    """Shortlisted with a note (the history says who and why), the analysis on request, then the table
    filtered by decision and exported as shown: the decision is in the file; the dashboard counts it."""
    page.get_by_label("Shortlisted", exact=True).check()
    page.get_by_label("Note", exact=True).fill("Strong on Kafka; invite to the first interview")
    page.get_by_role("button", name="Save decision").click()
    history = page.locator("ol.history")
    expect(history).to_contain_text("Shortlisted by " + email)
    expect(history).to_contain_text("invite to the first interview")
    expect(page.locator(".headline-score .decision")).to_have_text("Shortlisted")

    page.get_by_role("button", name="Analyze this candidate").click()
    expect(page.locator(".analysis")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(".analysis")).to_contain_text(re.compile("language model|rule-based"))
    accessible(console, "08-candidate-decided")

    page.goto(job_url)
    page.get_by_label("Decision", exact=True).select_option("shortlist")
    rows = page.locator("table.candidates tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Shortlisted")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Export CSV").click()
    exported = list(csv.DictReader(io.StringIO(Path(download_info.value.path()).read_text())))
    assert len(exported) == 1
    assert exported[0]["resume_id"] == resume_id and exported[0]["decision"] == "shortlist"

    job_id = job_url.rsplit("/", 1)[-1]
    page.get_by_role("link", name="Jobs", exact=True).first.click()
    row = page.locator(f"tr[data-job='{job_id}']")
    expect(row.locator("td").nth(3)).to_have_text("1")
    accessible(console, "09-jobs")


def _another_recruiter_sees_none_of_it(other: Console, email: str, job_id: str, resume_id: str) -> None:
    other_page = other.go("/login")
    sign_in(other_page, email)
    expect(other_page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()
    expect(other_page.get_by_text(SAMPLE_JOB["title"])).to_have_count(0)
    other.go(f"/jobs/{job_id}")
    expect(other_page.get_by_role("alert")).to_contain_text("not found")
    other.go(f"/resumes/{resume_id}")
    expect(other_page.get_by_role("alert")).to_contain_text("not found")


def _a_session_is_renewed_then_ends_and_comes_back(
    console: Console, page: Page, base_url: str, email: str, resume_id: str
) -> None:
    """An access token that has run out is renewed without a word; a session that ends mid-work (signed
    out elsewhere) returns to sign-in, then to the same page with what was being written."""
    page.goto(f"{base_url}/resumes/{resume_id}")
    expect(page.locator("table.terms")).to_be_visible()
    expire_access(page)
    page.reload()
    expect(page.locator("table.terms")).to_be_visible()
    assert session_of(page)["access"] != "expired"

    signed_in = session_of(page)
    httpx.post(
        f"{base_url}/api/auth/logout",
        json={"refresh_token": signed_in["refresh"]},
        headers={"Authorization": f"Bearer {signed_in['access']}"},
        timeout=30,
    ).raise_for_status()
    expire_access(page)
    page.get_by_label("Note", exact=True).fill("after the session ended")
    page.get_by_label("On hold", exact=True).check()
    page.get_by_role("button", name="Save decision").click()
    expect(page).to_have_url(re.compile(r"/login\?expired=1"))
    expect(page.get_by_text("Your session has ended")).to_be_visible()
    console.shot("10-session-ended")
    sign_in(page, email)
    expect(page).to_have_url(f"{base_url}/resumes/{resume_id}")
    expect(page.locator("ol.history")).to_contain_text("invite to the first interview")
    # What they were writing is still there, and saves now.
    expect(page.get_by_label("Note", exact=True)).to_have_value("after the session ended")
    expect(page.get_by_label("On hold", exact=True)).to_be_checked()
    page.get_by_role("button", name="Save decision").click()
    expect(page.locator("ol.history li").first).to_contain_text("On hold")
    expect(page.locator("ol.history li").first).to_contain_text("after the session ended")


def test_a_recruiters_day_in_the_console(
    open_console, mesh: Mesh, mailbox: MailSink, other_account: Account, tmp_path: Path
) -> None:
    console: Console = open_console()
    email = f"console-{uuid.uuid4().hex[:8]}@screener-tests.example.com"
    page = _signs_up(console, mailbox, email)
    job_url = _creates_a_job_from_its_preview(console, page)
    _uploads_a_folder_and_screens_it(console, page, tmp_path)
    resume_id = _opens_the_top_candidate_by_keyboard(console, page)
    _shortlists_filters_and_exports(console, page, email, job_url, resume_id)
    _another_recruiter_sees_none_of_it(
        open_console(), other_account.email, job_url.rsplit("/", 1)[-1], resume_id
    )
    _a_session_is_renewed_then_ends_and_comes_back(console, page, mesh.http_url, email, resume_id)
    assert console.problems == [], console.problems


def test_blind_screening_and_keys_in_the_console(
    open_console, mesh: Mesh, account: Account, tmp_path: Path
) -> None:
    job = create_job(account.client, blind_screening=True, title="Blind screening job")
    paths = write_samples(tmp_path / "samples")
    uploaded = upload(account.client, job["id"], [(p.name, p.read_bytes()) for p in paths[:3]])
    assert uploaded.status_code == 201, uploaded.text
    batch = account.client.post("/api/batches", json={"job_id": job["id"]}).json()
    wait_for_batch(account.client, batch["id"])

    console: Console = open_console()
    page = console.go(f"/jobs/{job['id']}")
    sign_in(page, account.email)
    # Back where the link pointed, with every name masked.
    expect(page.get_by_role("heading", name="Blind screening job")).to_be_visible()
    links = page.locator("a.candidate")
    expect(links).to_have_count(3)
    for text in links.all_inner_texts():
        assert "masked" in text
    names = {p.stem.replace("_", " ").title() for p in paths[:3]}
    assert not any(name in page.content() for name in names)

    # Revealing is an act of its own, confirmed first.
    links.first.click()
    expect(page.get_by_role("heading", name=re.compile("masked"))).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Reveal candidate").click()
    expect(page.get_by_role("heading", level=1)).not_to_contain_text("masked")
    revealed = page.get_by_role("heading", level=1).inner_text()
    assert revealed in names
    accessible(console, "11-candidate-revealed")

    # Editing what scores the job says the ranked resumes will be re-scored, then shows it happening.
    page.goto(f"{mesh.http_url}/jobs/{job['id']}/edit")
    expect(page.get_by_text("This job has 3 ranked resumes")).to_be_visible()
    page.get_by_label("Title fit", exact=True).fill("0.9")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Re-scoring after your edit")).to_be_visible()
    expect(page.get_by_text("The batch finished: 3 ranked and 0 failed of 3.")).to_be_visible(timeout=120_000)
    assert account.client.get(f"/api/jobs/{job['id']}").json()["weights"]["title"] == 0.9

    # Duplicated with every setting, then deleted (after saying what goes with it).
    page.get_by_role("link", name="Jobs", exact=True).first.click()
    page.get_by_role("button", name="Duplicate Blind screening job").click()
    expect(page.get_by_label("Title", exact=True)).to_have_value("Blind screening job (copy)")
    expect(page.get_by_label("Blind screening", exact=False)).to_be_checked()
    copies = [j for j in account.client.get("/api/jobs").json()["items"] if j["title"].endswith("(copy)")]
    assert len(copies) == 1 and copies[0]["weights"]["title"] == 0.9 and copies[0]["total_resumes"] == 0
    page.get_by_role("link", name="Jobs", exact=True).first.click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete Blind screening job (copy)").click()
    expect(page.get_by_text("“Blind screening job (copy)” was deleted.")).to_be_visible()
    assert account.client.get(f"/api/jobs/{copies[0]['id']}").status_code == 404

    # API keys: made, shown once, revoked.
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name of the new key", exact=True).fill("ats-sync")
    page.get_by_role("button", name="Create key").click()
    key = page.get_by_test_id("new-key").inner_text()
    assert httpx.get(f"{mesh.http_url}/api/jobs", headers={"X-API-Key": key}, timeout=30).status_code == 200
    accessible(console, "12-api-keys")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke ats-sync").click()
    expect(page.locator("table")).to_contain_text("revoked")
    assert httpx.get(f"{mesh.http_url}/api/jobs", headers={"X-API-Key": key}, timeout=30).status_code == 401
    assert console.problems == [], console.problems


def test_the_console_is_served_whole_by_the_gateway(mesh: Mesh) -> None:
    page = httpx.get(f"{mesh.http_url}/jobs/anything", headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200 and '<div id="root">' in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    # Every script and style it names is ours, under /assets, never cached wrong.
    assets = re.findall(r'(?:src|href)="(/assets/[^"]+)"', page.text)
    assert assets and not re.search(r'(?:src|href)="https?://', page.text)
    script_bytes = 0
    for path in assets:
        asset = httpx.get(f"{mesh.http_url}{path}", headers={"Accept-Encoding": "gzip"}, timeout=30)
        assert asset.status_code == 200, path
        if re.search(r"-[\w-]{8}\.(js|css)$", path):
            assert "immutable" in asset.headers["cache-control"]
            assert asset.headers["content-encoding"] == "gzip"
        if path.endswith(".js"):
            script_bytes += asset.num_bytes_downloaded
    # The whole first load's script, compressed, under the 300 KB budget.
    assert 0 < script_bytes < 300_000, script_bytes
    # The API keeps its JSON answers: an unknown API path is a JSON 404, HTML or not.
    missing = httpx.get(f"{mesh.http_url}/api/nothing", headers={"Accept": "text/html"}, timeout=30)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "http_error"
    assert httpx.get(f"{mesh.http_url}/nothing", timeout=30).status_code == 404


def test_records_and_audits_in_the_console(
    open_console, mesh: Mesh, account: Account, tmp_path: Path
) -> None:
    job = create_job(account.client, title="Audited job")
    paths = write_samples(tmp_path / "samples")
    items = upload(account.client, job["id"], [(p.name, p.read_bytes()) for p in paths[:4]]).json()["items"]
    batch = account.client.post("/api/batches", json={"job_id": job["id"]}).json()
    wait_for_batch(account.client, batch["id"])
    csv_file = tmp_path / "demographics.csv"
    given = [("female", "Asian"), ("male", "White"), ("female", "White"), ("male", "Asian")]
    rows = ["resume_id,sex,race_ethnicity"]
    rows += [f"{item['id']},{sex},{race}" for item, (sex, race) in zip(items, given, strict=True)]
    csv_file.write_text("\n".join(rows) + "\n")

    console: Console = open_console()
    page = console.go("/compliance")
    sign_in(page, account.email)
    expect(page.get_by_role("heading", name="Records and audits")).to_be_visible()
    page.get_by_label("Job", exact=True).select_option(label="Audited job")
    page.get_by_label("Demographic data (CSV)").set_input_files(csv_file)
    expect(page.get_by_text("4 candidates' data stored")).to_be_visible()
    report = page.get_by_test_id("bias-report")
    expect(report).to_contain_text("4 candidates audited")
    expect(report.locator("table.bias").first.locator("tbody tr")).to_have_count(2)  # female, male
    expect(report.locator("table.bias").nth(2)).to_contain_text("female / asian")
    # The trail below shows the upload and the audit, newest last.
    page.get_by_label("Action", exact=True).select_option("bias_audit")
    expect(page.locator("table.audit tbody tr").first).to_contain_text("bias_audit.run")
    expect(page.locator("table.usage")).to_contain_text("Resumes stored")
    accessible(console, "13-records-and-audits")

    # The job itself: its notice to publish, closing it, and a legal hold.
    page.goto(f"{mesh.http_url}/jobs/{job['id']}")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Notice to candidates").click()
    assert Path(download_info.value.path()).read_text().startswith("Notice to candidates for Audited job")
    page.get_by_role("button", name="Close job").click()
    expect(page.get_by_text("erased once the account's retention period has passed")).to_be_visible()
    page.get_by_role("button", name="Legal hold").click()
    expect(page.get_by_text("On legal hold: its resumes are kept")).to_be_visible()
    state = account.client.get(f"/api/jobs/{job['id']}").json()
    assert state["closed_at"] and state["legal_hold"]
    accessible(console, "14-job-closed-on-hold")
    page.get_by_role("button", name="Reopen job").click()
    expect(page.get_by_role("button", name="Close job")).to_be_visible()
    assert console.problems == [], console.problems
