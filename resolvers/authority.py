"""Who may run which workflow, for which account, and how the workflows remember who acted.

The gateway and the orders subgraph's ``@requiresScopes`` already refuse a caller without the
scopes; the orchestration checks again (defence in depth: a direct call to the subgraph, or a
gateway serving a supergraph without the directives, must not get further). A customer (an
account-scoped :class:`~schema.actor.Actor`) acts only for its own account; staff and the graph
itself (``SYSTEM``, auth off) for every one.

Idempotency keys are the client's words, so two clients may choose the same one: a key counts
within its actor's namespace (:func:`scoped_key`), and one account's key never answers another
account's result. The journal keeps the actor of every workflow (:func:`actor_json`), so a
workflow recovered after a crash writes to the systems in the name of whoever started it.
"""

from __future__ import annotations

from typing import Any

from schema.actor import SYSTEM, Actor

__all__ = [
    "REQUIRED_SCOPES",
    "SYSTEM_NAME",
    "UNNAMED",
    "Forbidden",
    "actor_from_json",
    "actor_json",
    "audit_name",
    "require",
    "scoped_key",
]

REQUIRED_SCOPES: dict[str, tuple[tuple[str, ...], ...]] = {
    "promiseOrder": (("orders:read",), ("staff",)),
    "submitOrder": (("orders:write",), ("staff",)),
    "cancelOrder": (("orders:write",), ("staff",)),
    "requestReturn": (("returns:write",), ("staff",)),
    "receiveReturn": (("staff",),),
    "releaseOrder": (("staff",),),
}
"""Per operation, the scopes a caller needs: any one of the lists, each in full (the form of
``@requiresScopes``). Receiving a return is the warehouse's act, and releasing an order held
for review the reviewer's, so staff only."""

SYSTEM_NAME = "system"
"""The name the systems record for the graph's own work, and for everyone while auth is off."""


class Forbidden(Exception):
    """The actor may not do this; nothing was asked of any system, nothing was written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def require(actor: Actor, operation: str) -> None:
    """Raise :class:`Forbidden` unless ``actor`` holds the scopes ``operation`` needs."""
    if not actor.restricted:
        return
    needed = REQUIRED_SCOPES[operation]
    if any(actor.scopes.issuperset(scopes) for scopes in needed):
        return
    wanted = " or ".join(" and ".join(scopes) for scopes in needed)
    raise Forbidden(f"{operation} needs the scope {wanted}")


UNNAMED = "unnamed"
"""What the systems record for a verified caller whose token names no subject."""


def audit_name(actor: Actor) -> str:
    """Who the systems record as having acted: the token's subject, ``"system"`` for the
    graph itself (auth off), never ``"system"`` for a token without a subject."""
    if actor.subject:
        return actor.subject
    return UNNAMED if actor.restricted else SYSTEM_NAME


def scoped_key(actor: Actor, key: str) -> str:
    """``key`` within ``actor``'s namespace: its account for a customer, its subject for
    staff (who act for every account, each for themselves), none for ``SYSTEM`` (auth off:
    every key stays what it was before identity). Lengths keep the parts apart, so no key of
    one namespace can spell a key of another."""
    if not actor.restricted:
        return key
    scope = actor.account_scope
    if scope is not None:
        return f"account:{len(scope)}:{scope}:{key}"
    subject = actor.subject or ""
    return f"subject:{len(subject)}:{subject}:{key}"


def actor_json(actor: Actor) -> dict[str, Any]:
    """``actor`` as the journal keeps it."""
    return {
        "subject": actor.subject,
        "scopes": sorted(actor.scopes),
        "accountId": actor.account_id,
        "restricted": actor.restricted,
    }


def actor_from_json(data: dict[str, Any] | None) -> Actor:
    """The actor the journal kept; ``SYSTEM`` for a workflow journaled before actors were."""
    if data is None:
        return SYSTEM
    return Actor(
        subject=data.get("subject"),
        scopes=frozenset(data.get("scopes") or ()),
        account_id=data.get("accountId"),
        restricted=bool(data.get("restricted", True)),
    )
