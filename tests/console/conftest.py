"""The console in a real browser: Debian's Chromium driven by Playwright (no browser download), against
the session's mesh, whose gateway serves the built console at /."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "console" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "test-artifacts" / "console"
# As root, Chromium needs --no-sandbox; the rest keep it off the (closed) network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
LAPTOP = {"width": 1366, "height": 900}
TABLET = {"width": 820, "height": 1180}
# WCAG 2.2 A and AA, as axe-core tags them.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def chromium_path() -> str:
    found = shutil.which("chromium")
    if not found:
        pytest.fail("Debian's chromium is not installed (make test installs it: make browser-deps)")
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Playwright starts Chromium with a fresh, empty profile of its own (a new --user-data-dir). Its
    # synchronous API runs an event loop in this thread while it is open: the browser lives for one
    # module, so the suite's other tests find no loop running.
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Console:
    """One recruiter's browser: a context of its own (storage, cookies), its page, and what went wrong in
    it (script errors, refused by the page's policy)."""

    def __init__(self, context: BrowserContext, base_url: str) -> None:
        self.context = context
        self.base_url = base_url
        self.page: Page = context.new_page()
        self.problems: list[str] = []
        self.page.on("pageerror", lambda error: self.problems.append(f"error: {error}"))
        self.page.on(
            "console",
            lambda message: (
                self.problems.append(f"console: {message.text}")
                if message.type == "error" and "401" not in message.text and "404" not in message.text
                else None
            ),
        )

    def go(self, path: str) -> Page:
        self.page.goto(self.base_url + path)
        return self.page

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def axe(self, name: str) -> list[dict]:
        """axe-core's WCAG 2.2 AA violations on the page as it is now (kept beside the screenshots)."""
        if not self.page.evaluate("typeof window.axe !== 'undefined'"):
            # Evaluated through the DevTools protocol: the page's own policy refuses inline scripts.
            self.page.evaluate(AXE.read_text())
        result = self.page.evaluate(
            "async (tags) => { const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});"
            " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)})); }",
            WCAG_TAGS,
        )
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        (ARTIFACTS / f"{name}.axe.json").write_text(json.dumps(result, indent=2))
        return list(result)


@pytest.fixture
def open_console(browser: Browser, mesh) -> Iterator:  # type: ignore[no-untyped-def]
    contexts: list[BrowserContext] = []

    def make(viewport: dict | None = None) -> Console:
        context = browser.new_context(viewport=viewport or LAPTOP, accept_downloads=True)
        contexts.append(context)
        return Console(context, mesh.http_url)

    yield make
    for context in contexts:
        context.close()


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
