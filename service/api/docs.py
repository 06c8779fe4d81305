"""Offline API docs: Swagger UI served from the `swagger-ui-bundle-v2` package, never from a CDN."""

from __future__ import annotations

import html
from functools import cache
from pathlib import Path

from fastapi import APIRouter, HTTPException, Response
from fastapi.responses import HTMLResponse

ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
}


@cache
def _asset_dir() -> Path | None:
    try:
        from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]
    except ImportError:
        return None
    return Path(str(swagger_ui_path))


@cache
def _asset(name: str) -> bytes:
    folder = _asset_dir()
    if folder is None:
        raise FileNotFoundError(name)
    return (folder / name).read_bytes()


def _page(title: str, openapi_url: str) -> str:
    if _asset_dir() is None:
        # Without the bundle, a page that still works offline: the schema itself.
        return (
            f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
            f"<body><h1>{html.escape(title)}</h1><p>The OpenAPI schema: <a href='{openapi_url}'>{openapi_url}</a></p>"
            "</body></html>"
        )
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{html.escape(title)}</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({{
  url: "{openapi_url}",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  validatorUrl: null
}});
</script>
</body>
</html>
"""


def make_router(title: str, openapi_url: str = "/openapi.json") -> APIRouter:
    r = APIRouter(include_in_schema=False)

    @r.get("/docs")
    async def docs() -> HTMLResponse:
        return HTMLResponse(_page(title, openapi_url))

    @r.get("/docs/assets/{name}")
    async def asset(name: str) -> Response:
        media_type = ASSETS.get(name)
        if media_type is None:
            raise HTTPException(404, "no such asset")
        try:
            body = _asset(name)
        except FileNotFoundError as exc:
            raise HTTPException(404, "no such asset") from exc
        return Response(body, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})

    return r
