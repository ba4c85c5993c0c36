"""CORS: Starlette's ``CORSMiddleware`` over the gateway's origin allow-list, refusing a
preflight with a GraphQL error in JSON.

Starlette's middleware is used as it is for everything it does well and tests: the preflight
(``OPTIONS`` with ``Origin`` and ``Access-Control-Request-Method``) answered before any route,
``Access-Control-*`` headers precomputed once, the requested headers mirrored for ``*``, the
origin echoed (never ``*``) with credentials, and ``Vary: Origin`` on every response, so a
shared cache never hands one origin's answer to another. Two things are ours: which origins
are allowed is :class:`OriginPolicy`'s decision (the one WebSockets and event streams use),
and a refused preflight is answered as every other refusal, JSON with a stable code::

    ORIGIN_NOT_ALLOWED      (403) the preflight's origin is not an allowed one
    CORS_PREFLIGHT_REFUSED  (400) the requested method or headers are not allowed
"""

from __future__ import annotations

from collections.abc import Collection

import orjson
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp

from gateway.server._http import error_body
from gateway.server._origin import OriginPolicy

__all__ = ["CORS_PREFLIGHT_REFUSED", "GatewayCORSMiddleware"]

CORS_PREFLIGHT_REFUSED = "CORS_PREFLIGHT_REFUSED"


def _cors_headers(response: Response) -> dict[str, str]:
    return {
        name: value
        for name, value in response.headers.items()
        if name.startswith("access-control-") or name == "vary"
    }


class GatewayCORSMiddleware(CORSMiddleware):
    """``CORSMiddleware`` whose allowed origins are ``policy``'s configured ones."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        policy: OriginPolicy,
        allow_methods: Collection[str],
        allow_headers: Collection[str],
        expose_headers: Collection[str],
        allow_credentials: bool,
        max_age: int,
    ) -> None:
        super().__init__(
            app,
            # "*" is passed on: it decides the precomputed ``Access-Control-Allow-Origin: *``.
            allow_origins=["*"] if policy.any else sorted(policy.origins),
            allow_methods=allow_methods,
            allow_headers=allow_headers,
            expose_headers=expose_headers,
            allow_credentials=allow_credentials,
            max_age=max_age,
        )
        self.policy = policy

    def is_allowed_origin(self, origin: str) -> bool:
        return self.policy.allows_configured(origin)

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code == 200:
            return response
        origin = request_headers["origin"]
        if not self.policy.allows_configured(origin):
            refused = self.policy.refusal(origin)
            refused.headers.update(_cors_headers(response))
            return refused
        # Starlette says what failed as "Disallowed CORS method, headers".
        failed = bytes(response.body).decode().removeprefix("Disallowed CORS ")
        method = request_headers.get("access-control-request-method", "")
        asked = request_headers.get("access-control-request-headers", "")
        body = error_body(
            f"CORS preflight refused: not allowed: {failed} "
            f"(asked for method {method[:40]!r}, headers {asked[:200]!r}).",
            CORS_PREFLIGHT_REFUSED,
        )
        return Response(
            orjson.dumps(body),
            status_code=400,
            media_type="application/json",
            headers=_cors_headers(response),
        )
