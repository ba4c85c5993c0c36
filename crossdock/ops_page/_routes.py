"""The page and its files as Starlette routes, with the headers a page of the graph gets."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

__all__ = ["ASSET_PREFIX", "OPS_PATH", "ops_routes"]

OPS_PATH = "/ops"
ASSET_PREFIX = "/ops/assets"
_STATIC = Path(__file__).parent / "static"

_JS = "text/javascript; charset=utf-8"
_CSS = "text/css; charset=utf-8"
# Versioned vendor files may be kept a year; the page's own are revalidated on every load.
_IMMUTABLE = "public, max-age=31536000, immutable"
_REVALIDATE = "no-cache"
# File name -> (media type, cache lifetime). Anything else is a 404.
_ASSETS = {
    "uPlot-1.6.32.iife.min.js": (_JS, _IMMUTABLE),
    "uPlot-1.6.32.min.css": (_CSS, _IMMUTABLE),
    "ops.js": (_JS, _REVALIDATE),
    "ops.css": (_CSS, _REVALIDATE),
    "favicon.svg": ("image/svg+xml", _REVALIDATE),
}

# The page runs only its own files and talks only to its own origin ('self' covers the
# same-host WebSocket in CSP 3); no inline script or style, no frames, no forms elsewhere.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)
_PAGE_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "cache-control": _REVALIDATE,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}

# Bodies read on first request and kept (about 70 KB in all).
_bodies: dict[str, bytes] = {}


def _body(name: str) -> bytes:
    body = _bodies.get(name)
    if body is None:
        body = _bodies[name] = (_STATIC / name).read_bytes()
    return body


async def ops_page(request: Request) -> Response:
    """``GET /ops``: the page (static: what it shows, its script asks the graph for)."""
    return Response(_body("ops.html"), media_type="text/html; charset=utf-8", headers=_PAGE_HEADERS)


async def ops_asset(request: Request) -> Response:
    """``GET /ops/assets/{name}``: one of the page's files, anything else is a 404."""
    name = request.path_params["name"]
    known = _ASSETS.get(name)
    if known is None:
        return PlainTextResponse("Not Found", status_code=404)
    media_type, cache_control = known
    return Response(
        _body(name),
        media_type=media_type,
        headers={"cache-control": cache_control, "x-content-type-options": "nosniff"},
    )


def ops_routes() -> list[BaseRoute]:
    """The page on :data:`OPS_PATH` and its files under :data:`ASSET_PREFIX`."""
    return [
        Route(OPS_PATH, ops_page, methods=["GET"]),
        Route(f"{ASSET_PREFIX}/{{name}}", ops_asset, methods=["GET"]),
    ]
