"""The recruiters' console: a single-page application built from console/ (`npm run build`), served by
the gateway at / beside the API it calls. Its hashed assets are files under /assets; any other page
address a browser asks for (a path outside the API, asking for HTML) is answered with the application's
index, which routes it in the browser. Everything is served from here: the console fetches nothing from
anywhere else."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

log = logging.getLogger(__name__)

DEFAULT_DIR = Path(__file__).resolve().parents[3] / "console" / "dist"
# Paths that belong to the API and its tools: never answered with the console.
NOT_CONSOLE = ("/api/", "/docs", "/openapi.json", "/healthz", "/readyz", "/metrics", "/assets/")
# The console runs only its own scripts, talks only to this origin, and is never framed.
POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "style-src-attr 'unsafe-inline'",
        "img-src 'self' blob: data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
PAGE_HEADERS = {
    "Content-Security-Policy": POLICY,
    "Cache-Control": "no-cache",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


class Console:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.index = (directory / "index.html").read_bytes()

    def page_for(self, request: Request) -> Response | None:
        """The application's page for a browser's navigation to an address the API does not have."""
        path = request.url.path
        if request.method not in ("GET", "HEAD") or path.startswith(NOT_CONSOLE):
            return None
        if "text/html" not in request.headers.get("accept", ""):
            return None
        return HTMLResponse(self.index, headers=PAGE_HEADERS)


class _Assets(StaticFiles):
    async def get_response(self, path: str, scope):  # type: ignore[no-untyped-def]
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            # Every asset's name carries a hash of its content: it never changes under that name.
            response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


def mount_console(app: FastAPI, configured: str) -> Console | None:
    directory = Path(configured) if configured else DEFAULT_DIR
    if not (directory / "index.html").is_file():
        log.warning("the console is not built (%s has no index.html): / serves the API only", directory)
        return None
    if (directory / "assets").is_dir():
        # Compressed on the way out: the whole first load is about 100 KB of gzip.
        assets = GZipMiddleware(_Assets(directory=str(directory / "assets")), minimum_size=1024)
        app.mount("/assets", assets, name="console-assets")
    log.info("console served at / from %s", directory)
    return Console(directory)
