"""Who calls a subgraph: the token the gateway forwards, verified here again, as an ``Actor``.

The gateway forwards its client's bearer token (``Authorization: Bearer …`` over HTTP, the
graphql-transport-ws ``connection_init`` payload for subscriptions). A subgraph trusts no
caller on the gateway's word: each app verifies the token with its own
:class:`gateway.auth.TokenVerifier` (:class:`Identification`, one per app, closed with it) and
puts the :class:`schema.actor.Actor` it proves on the request's context, where the loaders and
resolvers read its account scope (docs/auth.md, "Our graph's scopes and accounts").

- Auth off (``AuthSettings.jwks`` unset): every caller is ``SYSTEM``, as before identity.
- No token: :data:`NOBODY`, restricted to no account and no scope, so it sees no account's
  records (the gateway, whose root fields all require ``@authenticated``, never sends one).
- A token that does not verify: no data at all. HTTP answers 401 with an ``UNAUTHENTICATED``
  error; a WebSocket's ``connection_init`` is refused (4403 on graphql-transport-ws).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from gateway.auth import AuthSettings, Identity, TokenVerifier, Unauthenticated, bearer_token
from schema.actor import SYSTEM, Actor

__all__ = [
    "ACCOUNT_CLAIM",
    "NOBODY",
    "UNAUTHENTICATED",
    "CallerContext",
    "Identification",
    "actor_of",
    "authorization_of",
]

UNAUTHENTICATED: Final = "UNAUTHENTICATED"
"""The ``extensions.code`` of a request whose token does not verify."""

ACCOUNT_CLAIM: Final = "account_id"
"""The claim naming the CRM account a customer's token is bound to."""

NOBODY: Final = Actor(subject=None, scopes=frozenset(), account_id=None, restricted=True)
"""A caller without a token while auth is on: no scope, no account, so no account's records."""


def actor_of(identity: Identity) -> Actor:
    """The actor a verified ``identity`` is: its scopes, and the account of its
    ``account_id`` claim (ignored unless a non-empty string)."""
    account = identity.claims.get(ACCOUNT_CLAIM)
    return Actor(
        subject=identity.subject,
        scopes=identity.scopes,
        account_id=account if isinstance(account, str) and account else None,
        restricted=True,
    )


def authorization_of(payload: Mapping[str, Any] | None) -> str | None:
    """The ``Authorization`` value of a ``connection_init`` payload: at its top level or under
    ``headers``, its key in any case; None without one."""
    if not payload:
        return None
    for where in (payload, payload.get("headers")):
        if not isinstance(where, Mapping):
            continue
        for key, value in where.items():
            if isinstance(key, str) and key.lower() == "authorization":
                if not isinstance(value, str):
                    raise Unauthenticated("Authorization must be 'Bearer <token>'.")
                return value
    return None


@dataclass(slots=True, kw_only=True)
class CallerContext:
    """What every subgraph's context has: the ``actor`` it serves.

    An HTTP request's context is made with its actor. A WebSocket's is made before the
    client has said who it is (with :attr:`Identification.unidentified`), and its actor set
    once, from ``connection_params`` (which Strawberry fills in from ``connection_init``),
    before any subscription starts: hence not frozen.
    """

    actor: Actor
    connection_params: dict[str, Any] | None = field(default=None, repr=False)


class Identification:
    """How one subgraph app tells who calls it: ``settings`` (the gateway's auth settings),
    with one verifier (and its cached keys) for the app's lifetime; :meth:`aclose` it on
    shutdown."""

    def __init__(self, settings: AuthSettings, *, verifier: TokenVerifier | None = None) -> None:
        self.settings = settings
        self._verifier = verifier
        if self._verifier is None and settings.enabled:
            self._verifier = TokenVerifier(settings)

    @property
    def enabled(self) -> bool:
        return self._verifier is not None

    @property
    def unidentified(self) -> Actor:
        """The actor of a caller that has sent nothing yet: ``SYSTEM`` with auth off."""
        return NOBODY if self.enabled else SYSTEM

    async def of_authorization(self, authorization: str | None) -> Actor:
        """The actor of an ``Authorization`` value (None: no header); raises
        :class:`gateway.auth.Unauthenticated` for one that does not verify."""
        if self._verifier is None:
            return SYSTEM
        token = bearer_token(authorization)
        if token is None:
            return NOBODY
        return actor_of(await self._verifier.verify(token))

    async def of_connection(self, payload: Mapping[str, Any] | None) -> Actor:
        """The actor of a WebSocket's ``connection_init`` payload; raises
        :class:`gateway.auth.Unauthenticated` for a token that does not verify."""
        if self._verifier is None:
            return SYSTEM
        return await self.of_authorization(authorization_of(payload))

    async def aclose(self) -> None:
        if self._verifier is not None:
            await self._verifier.aclose()
