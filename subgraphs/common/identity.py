"""Who calls a subgraph: the token the gateway forwards, verified here again, as an ``Actor``.

The gateway forwards its client's bearer token (``Authorization: Bearer …`` over HTTP, the
graphql-transport-ws ``connection_init`` payload for subscriptions). A subgraph trusts no
caller on the gateway's word: each app verifies the token with its own
:class:`gateway.auth.TokenVerifier` (:class:`Identification`, one per app, closed with it) and
puts the :class:`schema.actor.Actor` it proves on the request's context, where the loaders and
resolvers read its account scope (docs/auth.md, "Our graph's scopes and accounts").

- Auth off (``AuthSettings.jwks`` unset): every caller is ``SYSTEM``, as before identity.
- No token: :data:`NOBODY`, restricted to no account and no scope. :class:`CallerRequired`
  answers its operations with an ``UNAUTHENTICATED`` error and no data, but for the
  subgraph's own ``_service`` and introspection (the gateway, whose root fields all require
  ``@authenticated``, never sends such a call, and composition reads ``_service``); and its
  loaders would find no account's records anyway.
- A token that does not verify: no data at all. HTTP answers 401 with an ``UNAUTHENTICATED``
  error; a WebSocket's ``connection_init`` is refused (4403 on graphql-transport-ws), and a socket
  whose token expires later is closed with 4403 then (``subgraphs.common.app``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from graphql import FieldNode, GraphQLError, get_operation_ast
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from gateway.auth import AuthSettings, Identity, TokenVerifier, Unauthenticated, bearer_token
from schema.actor import SYSTEM, Actor

__all__ = [
    "ACCOUNT_CLAIM",
    "NOBODY",
    "UNAUTHENTICATED",
    "Caller",
    "CallerContext",
    "CallerRequired",
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


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a request or a socket is from: its actor, and until when its token is accepted
    (Unix seconds: its ``exp`` and the clock skew allowed; None: no token, or auth off)."""

    actor: Actor
    expires_at: float | None = None


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
    # When the socket's token expires (Unix seconds); None over HTTP or without a token.
    expires_at: float | None = None


AUTH_OFF_WITH_TOKEN = (
    "This subgraph has auth off and cannot verify the token it was sent: give it the "
    "gateway's auth settings (auth.jwks, auth.issuer, auth.audience)."
)


class Identification:
    """How one subgraph app tells who calls it: ``settings`` (the gateway's auth settings),
    with one verifier (and its cached keys) for the app's lifetime; :meth:`aclose` it on
    shutdown."""

    def __init__(
        self,
        settings: AuthSettings,
        *,
        verifier: TokenVerifier | None = None,
        refuse_tokens_when_off: bool = True,
    ) -> None:
        self.settings = settings
        # With auth off, a caller that sends a token is refused (see ``caller``); a subgraph
        # that holds no account's data (a test stand-in for any subgraph) may ignore it.
        self.refuse_tokens_when_off = refuse_tokens_when_off
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

    async def caller(self, authorization: str | None) -> Caller:
        """Who an ``Authorization`` value (None: no header) is from; raises
        :class:`gateway.auth.Unauthenticated` for one that does not verify."""
        if self._verifier is None:
            if (
                self.refuse_tokens_when_off
                and authorization is not None
                and bearer_token(authorization) is not None
            ):
                # A caller that sends a token expects to be limited by it; served as the
                # system it would see every account. The gateway forwards tokens only with
                # auth on, so this subgraph is configured apart from it: fail closed.
                raise Unauthenticated(AUTH_OFF_WITH_TOKEN)
            return Caller(SYSTEM)
        token = bearer_token(authorization)
        if token is None:
            return Caller(NOBODY)
        identity = await self._verifier.verify(token)
        expires = identity.expires_at
        return Caller(
            actor_of(identity), None if expires is None else expires + self.settings.leeway
        )

    async def of_authorization(self, authorization: str | None) -> Actor:
        """The actor of an ``Authorization`` value (None: no header); raises
        :class:`gateway.auth.Unauthenticated` for one that does not verify."""
        return (await self.caller(authorization)).actor

    async def of_connection(self, payload: Mapping[str, Any] | None) -> Actor:
        """The actor of a WebSocket's ``connection_init`` payload; raises
        :class:`gateway.auth.Unauthenticated` for a token that does not verify."""
        return (await self.caller(authorization_of(payload))).actor

    async def aclose(self) -> None:
        if self._verifier is not None:
            await self._verifier.aclose()


# Root fields a caller without a token may still ask for: the subgraph's own description.
_OPEN_FIELDS = frozenset({"_service", "__typename", "__schema", "__type"})


class CallerRequired(SchemaExtension):
    """With auth on, an operation of a caller without a token (:data:`NOBODY`) gets no data:
    one ``UNAUTHENTICATED`` error, unless it asks only for ``_service`` or introspection.

    The subgraphs declare ``@authenticated`` on every root field for the gateway to enforce;
    this is the same rule kept by the subgraph itself, for a direct call. A request with
    auth off (``SYSTEM``) or a verified token goes on untouched.
    """

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        if getattr(context, "actor", None) is NOBODY and not self._only_open_fields():
            error = GraphQLError(
                "A bearer token is required.", extensions={"code": UNAUTHENTICATED}
            )
            self.execution_context.result = ExecutionResult(data=None, errors=[error])
        yield

    def _only_open_fields(self) -> bool:
        document = self.execution_context.graphql_document
        if document is None:
            return True  # nothing runs: the parse error is the answer
        operation = get_operation_ast(document, self.execution_context.operation_name)
        if operation is None:
            return True  # nothing runs: GraphQL reports the unknown operation
        # A fragment at the root could select anything: only plain open fields pass.
        return all(
            isinstance(selection, FieldNode) and selection.name.value in _OPEN_FIELDS
            for selection in operation.selection_set.selections
        )
