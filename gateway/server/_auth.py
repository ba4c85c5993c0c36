"""Who a request is from, for every transport: the bearer token verified once per request (HTTP
POST, GET, server-sent events) or per socket (WebSocket ``connection_init``).

With auth off (``auth.jwks`` unset) nothing is read: every request is anonymous and an
``Authorization`` header is ignored, as before identity existed. With auth on, no token is
anonymous (the auth directives decide what that sees), and a token that does not verify is
refused before anything runs: HTTP 401 with an ``UNAUTHENTICATED`` error and
``WWW-Authenticate: Bearer error="invalid_token"`` (RFC 6750), or, over a WebSocket, close code
4403. A verified token's subject becomes the client's identity for rate limits
(``gateway.server._clients``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from gateway.auth import ANONYMOUS, AuthSettings, Identity, TokenVerifier, Unauthenticated
from gateway.auth import bearer_token as _bearer_token
from gateway.server._clients import SUBJECT_STATE_KEY
from gateway.server._http import error_body

__all__ = ["UNAUTHENTICATED", "Authenticator", "init_authorization"]

UNAUTHENTICATED = "UNAUTHENTICATED"
"""``extensions.code`` of a request refused for its token."""


def init_authorization(payload: Mapping[str, Any] | None) -> Any:
    """The ``Authorization`` value of a ``connection_init`` payload, as graphql-ws clients
    send it: ``{"Authorization": …}`` or ``{"headers": {"Authorization": …}}``, the key in any
    case (as HTTP header names, and as the subgraphs read it); None without one (any other
    type is left for the caller to refuse).

    A null value is no value: the search goes on, so credentials beside it are not skipped
    and the socket is never served as anonymous while it carries a token."""
    if not payload:
        return None
    for holder in (payload, payload.get("headers")):
        if isinstance(holder, Mapping):
            for key, value in holder.items():
                if isinstance(key, str) and key.lower() == "authorization" and value is not None:
                    return value
    return None


class Authenticator:
    """The app's one verifier (made from ``settings``, none when auth is off), used by every
    transport; :meth:`start` and :meth:`aclose` follow the app's lifespan."""

    def __init__(self, settings: AuthSettings) -> None:
        # Raises JwksError (one line) for a JWKS file that cannot be used: a start-up failure.
        self.verifier = TokenVerifier(settings) if settings.enabled else None

    @property
    def enabled(self) -> bool:
        return self.verifier is not None

    async def start(self) -> None:
        if self.verifier is not None:
            await self.verifier.start()

    async def aclose(self) -> None:
        if self.verifier is not None:
            await self.verifier.aclose()

    async def identify(self, authorization: Any, scope: Scope) -> Identity:
        """The identity ``authorization`` (an ``Authorization`` value) proves; anonymous
        without one or with auth off. Raises :class:`Unauthenticated`."""
        if self.verifier is None or authorization is None:
            return ANONYMOUS
        if not isinstance(authorization, str):
            raise Unauthenticated("Authorization must be 'Bearer <token>'.")
        token = _bearer_token(authorization)
        assert token is not None
        identity = await self.verifier.verify(token)
        if identity.subject is not None:
            # Rate limits key on the subject from now on, whichever address it comes from.
            scope.setdefault("state", {})[SUBJECT_STATE_KEY] = identity.subject
        return identity

    def accepted_until(self, identity: Identity) -> float | None:
        """When ``identity``'s token stops being accepted (Unix seconds): its ``exp`` and the
        clock-skew leeway; None without a token or an ``exp``. A long-lived response (an
        event stream) ends then."""
        if self.verifier is None or identity.expires_at is None:
            return None
        return identity.expires_at + self.verifier.settings.leeway

    async def http(self, request: Request) -> Identity | Response:
        """The identity of an HTTP request, or the 401 refusing it."""
        if self.verifier is None:
            return ANONYMOUS
        try:
            return await self.identify(request.headers.get("authorization"), request.scope)
        except Unauthenticated as error:
            return unauthenticated(str(error))


def unauthenticated(message: str) -> Response:
    """HTTP 401 for a token that does not verify, with RFC 6750's challenge."""
    return Response(
        orjson.dumps(error_body(message, UNAUTHENTICATED)),
        status_code=401,
        media_type="application/json",
        headers={
            "www-authenticate": 'Bearer error="invalid_token"',
            "cache-control": "no-store",
        },
    )
