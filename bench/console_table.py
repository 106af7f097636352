"""The console's ranked table with 10,000 resumes in a job, in a real browser.

    python -m bench.console_table --resumes 10000 --runs 5

Starts the mesh (its gateway serves the built console), creates a job through the API, writes N
screened resumes straight into Postgres (bench.ranked_table.fill), signs in through the console in
Debian's Chromium, then times what a recruiter waits for: the job page's first rows, re-sorting, a
deep page, filters, and a move between rows with the keyboard. Also reports the script the first load
fetched (compressed), the DOM size and the JavaScript heap.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from playwright.sync_api import Page, sync_playwright
from rich.console import Console
from rich.table import Table

from bench.ranked_table import fill
from services.demo.mailbox import MailSink
from services.demo.run import DEMO_EMAIL, DEMO_PASSWORD, sign_in
from services.demo.samples import SAMPLE_JOB
from services.launcher import Mesh, MeshConfig, free_port

console = Console()
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
ROWS = "table.candidates tbody tr"


def timed(page: Page, act: Callable[[], None], ready: str) -> float:
    """Milliseconds from an action to the moment `ready` (a JS condition) holds in the page."""
    started = time.perf_counter()
    act()
    page.wait_for_function(ready, timeout=60_000)
    return (time.perf_counter() - started) * 1000


def first_score_is(score: str) -> str:
    cell = f"document.querySelector('{ROWS} td.score')"
    return f"(() => {{ const c = {cell}; return c && c.textContent === '{score}'; }})()"


def measure(page: Page, base: str, job_id: str, top_score: str, total: int) -> dict[str, float]:
    pages = -(-total // 50)
    job = f"{base}/jobs/{job_id}"
    results: dict[str, float] = {}
    results["open the job: first 50 rows"] = timed(
        page, lambda: page.goto(job), f"document.querySelectorAll('{ROWS}').length === 50"
    )
    page.wait_for_load_state("networkidle")
    results["sort by score"] = timed(
        page, lambda: page.get_by_label("Order", exact=True).select_option("score"), first_score_is(top_score)
    )
    results["sort back by rank"] = timed(
        page,
        lambda: page.get_by_label("Order", exact=True).select_option("rank"),
        f"!location.search.includes('sort') && document.querySelectorAll('{ROWS}').length === 50",
    )
    deep = max(1, pages // 2)
    results[f"page {deep} of {pages}"] = timed(
        page,
        lambda: page.goto(f"{job}?page={deep}"),
        f"document.querySelectorAll('{ROWS}').length === 50 && "
        f"document.querySelector('.pager span')?.textContent === 'Page {deep} of {pages}'",
    )
    page.goto(job)
    page.wait_for_function(f"document.querySelectorAll('{ROWS}').length === 50")
    page.wait_for_load_state("networkidle")
    results["filter: minimum score 90"] = timed(
        page,
        lambda: page.get_by_label("Minimum score", exact=True).fill("90"),
        "(() => { const s = [...document.querySelectorAll('table.candidates td.score')]"
        ".map(c => parseFloat(c.textContent)); return s.length > 0 && s.every(v => v >= 90); })()",
    )
    page.get_by_label("Minimum score", exact=True).fill("")
    page.wait_for_function(f"document.querySelectorAll('{ROWS}').length === 50")
    # Done when the count above the table says fewer candidates than the job has.
    results["filter: skill Kubernetes"] = timed(
        page,
        lambda: page.get_by_label("Skill", exact=True).fill("Kubernetes"),
        "(() => { const m = /^([\\d,]+) candidates/.exec(document.querySelector('.ranked p[role=status]')"
        f"?.textContent ?? ''); return m && parseInt(m[1].replace(/,/g, '')) < {total} &&"
        f" document.querySelectorAll('{ROWS}').length > 0; }})()",
    )
    links = page.locator("a.candidate")
    links.first.focus()
    results["keyboard: next row"] = timed(
        page,
        lambda: page.keyboard.press("ArrowDown"),
        "document.activeElement === document.querySelectorAll('a.candidate')[1]",
    )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--resumes", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    if not chromium:
        console.print("[red]Debian's chromium is needed (make browser-deps)[/red]")
        return 1
    mailbox = MailSink(free_port())
    mailbox.start()
    mesh = Mesh(
        MeshConfig.with_free_ports(
            Path(tempfile.mkdtemp(prefix="screener-console-")),
            smtp_url=mailbox.url,
            extra_env={"LOG_LEVEL": "WARNING"},
        )
    )
    mesh.start(timeout=300)
    runs: list[dict[str, float]] = []
    facts: dict[str, str] = {}
    try:
        client = httpx.Client(base_url=mesh.http_url, timeout=60)
        client.headers["Authorization"] = f"Bearer {sign_in(client, mailbox)}"
        job = client.post("/api/jobs", json=SAMPLE_JOB).json()
        asyncio.run(fill(mesh.database_url, job["id"], args.resumes, args.seed))
        top = client.get(f"/api/jobs/{job['id']}/resumes", params={"sort": "score", "page_size": 1}).json()
        top_score = f"{top['items'][0]['final_score']:.1f}"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            for run in range(args.runs + 1):  # the first run warms the server's caches and is not counted
                # The waits below are evaluated in the page, which the console's policy would refuse.
                context = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)
                page = context.new_page()
                scripts: list[int] = []
                # What went over the wire for each script: its compressed body.
                page.on(
                    "requestfinished",
                    lambda r, s=scripts: (
                        s.append(r.sizes()["responseBodySize"]) if r.url.endswith(".js") else None
                    ),
                )
                page.goto(f"{mesh.http_url}/login")
                page.get_by_label("Email", exact=True).fill(DEMO_EMAIL)
                page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_selector("table.jobs")
                result = measure(page, mesh.http_url, job["id"], top_score, args.resumes)
                if run:
                    runs.append(result)
                facts["script fetched on first load (compressed)"] = f"{sum(scripts) / 1024:.0f} KB"
                nodes = page.evaluate("document.getElementsByTagName('*').length")
                facts["DOM nodes with 50 rows"] = str(nodes)
                heap = page.evaluate("performance.memory ? performance.memory.usedJSHeapSize : 0")
                facts["JS heap in use"] = f"{heap / 1e6:.1f} MB"
                context.close()
            browser.close()
    finally:
        mesh.stop()
        mailbox.stop()
    table = Table(title=f"The console with {args.resumes:,} resumes in a job, Chromium, {args.runs} runs")
    for column in ("what the recruiter does", "median ms", "worst ms"):
        table.add_column(column, justify="left" if column.startswith("what") else "right")
    for label in runs[0]:
        values = [r[label] for r in runs]
        table.add_row(label, f"{statistics.median(values):.0f}", f"{max(values):.0f}")
    console.print(table)
    for name, value in facts.items():
        console.print(f"{name}: {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
