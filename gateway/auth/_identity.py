"""Who a request is from: the verified claims of its bearer token, or nobody."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ANONYMOUS", "Identity"]


@dataclass(frozen=True)
class Identity:
    """A request's verified identity (``token`` set) or the anonymous one (``ANONYMOUS``).

    Only :class:`gateway.auth.TokenVerifier` makes authenticated ones: an ``Identity`` with a
    ``token`` means the token's signature, issuer, audience and times were checked.
    """

    # The bearer token as the client sent it (verified); forwarded to subgraphs.
    token: str | None = field(default=None, repr=False)
    # The ``sub`` claim.
    subject: str | None = None
    # The ``scope`` claim (space-separated) or ``scp`` (a list), as a set.
    scopes: frozenset[str] = frozenset()
    # Every claim of the token, as decoded.
    claims: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)
    # ``exp`` (Unix seconds), if the token has one: a socket is closed when it passes.
    expires_at: float | None = None

    @property
    def authenticated(self) -> bool:
        return self.token is not None


ANONYMOUS = Identity()
"""A request without a token (or with auth off)."""
