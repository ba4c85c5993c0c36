"""Which web origins may use the graph: the allow-list CORS answers and the Origin check of
WebSockets and event streams, written once.

A browser names the page that opened a WebSocket or an event stream in ``Origin``; CORS does
not apply to a WebSocket, so without this check any page open in a browser could subscribe
and run mutations over one. A request without ``Origin`` did not come from a page (native
apps, ``gql``, curl send none) and is let through: such a client could send any ``Origin``
it likes, so the check guards browsers' users, not the graph from other clients.

The gateway's own origin (its GraphiQL) is the one of the request's ``Host``, but only under
the host names it is known by (``own_hosts``): a page of ``http://evil.example:4000`` whose
name an attacker re-points at 127.0.0.1 (DNS rebinding) sends ``Host: evil.example:4000``
and an ``Origin`` to match, and must not count as the gateway's own. Every request that
carries an ``Origin`` is checked, plain JSON included: after rebinding, the browser sees a
same-origin request and asks no preflight.

Refused, every kind is answered 403 before any operation runs::

    ORIGIN_NOT_ALLOWED   the page's origin is neither the gateway's own nor an allowed one
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

import orjson
from starlette.responses import Response
from starlette.websockets import WebSocket

from gateway.server._http import error_body

__all__ = [
    "LOOPBACK_HOSTS",
    "ORIGIN_NOT_ALLOWED",
    "OriginPolicy",
    "normalize_origin",
    "same_origin",
]

ORIGIN_NOT_ALLOWED = "ORIGIN_NOT_ALLOWED"

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}
# What a browser serializes: scheme "://" host [":" port], nothing after it.
_ORIGIN = re.compile(r"[a-z][a-z0-9+.-]*://[^/?#@\s]+")
# An origin echoed in a refusal is cut here: it is the client's text.
_ECHO_CHARS = 100


def normalize_origin(origin: str) -> str:
    """``origin`` as a browser sends it (lowercase, no default port), or ValueError saying why
    it is not one; ``*`` and ``null`` stay as they are."""
    if origin in ("*", "null"):
        return origin
    lowered = origin.strip().lower()
    if not _ORIGIN.fullmatch(lowered):
        raise ValueError(
            f"{origin!r} is not an origin: scheme://host[:port], with no path or trailing slash"
        )
    parts = urlsplit(lowered)
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{origin!r} has an invalid port") from None
    if not parts.hostname:
        raise ValueError(f"{origin!r} has no host")
    if port is not None and port == _DEFAULT_PORTS.get(parts.scheme):
        return lowered.rsplit(":", 1)[0]
    return lowered


def _host_and_port(netloc: str, default_port: int) -> tuple[str, int] | None:
    try:
        parts = urlsplit(f"//{netloc}")
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    return parts.hostname, default_port if port is None else port


LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
"""The names the gateway is known by unless configured: this machine's."""


def same_origin(origin: str, host: str | None, own_hosts: Iterable[str] = LOOPBACK_HOSTS) -> bool:
    """Whether the page's ``origin`` is the gateway itself: its host and port are those of the
    request's ``Host`` (a ``Host`` without a port has the origin scheme's default one), and
    that host is one of ``own_hosts`` (``*``: any)."""
    if not host:
        return False
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    default_port = _DEFAULT_PORTS.get(parts.scheme)
    if default_port is None or parts.path or parts.query or parts.fragment:
        return False
    page = _host_and_port(parts.netloc, default_port)
    if page is None or page != _host_and_port(host.lower(), default_port):
        return False
    hosts = set(own_hosts)
    return "*" in hosts or page[0] in hosts


class OriginPolicy:
    """The configured origins (exact, a full-match regex, or ``*`` for any) and the gateway's
    own; ``null`` (sandboxed frames, files) is allowed only when listed or under ``*``."""

    def __init__(
        self,
        origins: Iterable[str] = (),
        regex: str | None = None,
        own_hosts: Iterable[str] = LOOPBACK_HOSTS,
    ) -> None:
        self.origins = frozenset(origins)
        self.own_hosts = frozenset(host.lower().strip("[]") for host in own_hosts)
        self.any = "*" in self.origins
        self.regex = re.compile(regex) if regex is not None else None

    def allows_configured(self, origin: str) -> bool:
        """Whether ``origin`` is one of the configured origins (what CORS answers)."""
        if self.any or origin in self.origins:
            return True
        return self.regex is not None and origin != "null" and bool(self.regex.fullmatch(origin))

    def allows(self, origin: str | None, host: str | None) -> bool:
        """Whether a page of ``origin`` may open a WebSocket or event stream on ``host``; a
        request without ``Origin`` did not come from a page and may."""
        if origin is None:
            return True
        return self.allows_configured(origin) or same_origin(origin, host, self.own_hosts)

    def refusal(self, origin: str) -> Response:
        """The 403 answer to a request from ``origin``, a GraphQL error in JSON."""
        shown = origin[:_ECHO_CHARS]
        body = error_body(
            f"Origin {shown} may not use this gateway: it is neither the gateway's own origin "
            "(under one of browsers.own_hosts) nor an allowed one (browsers.allow_origins).",
            ORIGIN_NOT_ALLOWED,
        )
        return Response(orjson.dumps(body), status_code=403, media_type="application/json")

    async def admit_websocket(self, websocket: WebSocket) -> bool:
        """Let the upgrade through, or reject it with 403 (nothing is accepted or run)."""
        origin = websocket.headers.get("origin")
        if self.allows(origin, websocket.headers.get("host")):
            return True
        assert origin is not None
        if "websocket.http.response" in websocket.scope.get("extensions", {}):
            # The JSON error as the handshake's answer: clients show a 403 with its reason.
            await websocket.send_denial_response(self.refusal(origin))
        else:
            # Closing before accepting is a bare 403 on every ASGI server.
            await websocket.close(1008)
        return False
