"""/docs is served whole by the gateway: every script, style and icon of the page comes from the gateway
itself, so the interactive documentation works on a machine with no internet."""

from __future__ import annotations

import re

import httpx

from services.launcher import Mesh


def test_the_docs_page_loads_nothing_from_elsewhere(mesh: Mesh) -> None:
    with httpx.Client(base_url=mesh.http_url, timeout=30) as client:
        page = client.get("/docs")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", page.text)
        urls = re.findall(r"""url:\s*['"]([^'"]+)['"]""", page.text)
        assert assets, page.text
        for reference in [*assets, *urls]:
            assert reference.startswith("/"), f"{reference} is not served by the gateway"
            answer = client.get(reference)
            assert answer.status_code == 200, reference
            assert len(answer.content) > 100, reference
        # The page's script is Swagger UI itself, and the document it renders is this gateway's.
        assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
        assert "/openapi.json" in urls
        assert "SwaggerUIBundle" in client.get(next(a for a in assets if a.endswith(".js"))).text
        assert client.get("/redoc").status_code == 404  # ReDoc would load its script from a CDN
