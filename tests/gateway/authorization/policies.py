"""Policy hooks the tests name in settings (``module:attribute``)."""

from __future__ import annotations

from gateway.auth import Identity

NOT_CALLABLE = "a policy hook setting must name a callable"


def grant_all(identity: Identity, policies: frozenset[str]) -> frozenset[str]:
    """Every policy it is asked."""
    return policies


def grant_staff(identity: Identity, policies: frozenset[str]) -> frozenset[str]:
    """Every policy to a token with the ``staff`` scope, none to anyone else."""
    return policies if "staff" in identity.scopes else frozenset()
