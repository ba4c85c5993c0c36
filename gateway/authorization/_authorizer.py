"""What the engine asks before planning: may this identity run this operation as it is?

Per operation (cached on it, as the planner and demand control cache their work) the
requirements it meets are listed once; per request the identity is checked against each
(its verdict), and the operation filtered once per verdict and ``@skip``/``@include``
values. A request whose identity meets every requirement costs that check and nothing more,
and keeps the plan cache key it has without auth; so does every request to a supergraph
without the directives (the engine does not call in at all).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gateway.auth import AuthSettings, Identity
from gateway.authorization._filter import Filtered, filter_operation, requirements_of
from gateway.authorization._policy import AuthorizationSetupError, PolicyHook
from gateway.planner import Operation
from gateway.supergraph import Requirement, Supergraph

__all__ = ["Authorizer", "PolicyQuestion", "check_startup"]

log = logging.getLogger("gateway.authorization")

_INDEX = "authorization.requirements"
_FILTERED = "authorization.filtered"


@dataclass(frozen=True)
class PolicyQuestion:
    """The operation names ``@policy`` policies: the hook must decide them first."""

    policies: frozenset[str]


@dataclass(frozen=True)
class _Index:
    requirements: tuple[Requirement, ...]
    policies: frozenset[str]


class Authorizer:
    """Enforces a supergraph's auth directives; built only when auth is on.

    ``reject``: any unauthorized field refuses the whole request (``data: null``, its
    errors) instead of being filtered out. ``policy_hook`` decides ``@policy``; without one
    every policy is denied.
    """

    def __init__(self, *, reject: bool = False, policy_hook: PolicyHook | None = None) -> None:
        self.reject = reject
        self.policy_hook = policy_hook

    @classmethod
    def from_settings(cls, settings: AuthSettings) -> Authorizer | None:
        """The authorizer ``settings`` ask for; ``None`` while auth is off. Raises
        ``PolicyHookError`` (one line) when the policy hook cannot be loaded."""
        if not settings.enabled:
            return None
        hook = None
        if settings.policy_hook:
            hook = PolicyHook.load(settings.policy_hook, timeout=settings.policy_timeout)
        return cls(reject=settings.unauthorized == "reject", policy_hook=hook)

    def check(
        self,
        supergraph: Supergraph,
        operation: Operation,
        variables: Mapping[str, Any],
        identity: Identity,
        granted: frozenset[str] | None = None,
    ) -> Filtered | PolicyQuestion | None:
        """``None`` when ``identity`` may run ``operation`` whole; the filtered operation
        otherwise; or, before ``granted`` policies are known, the question to ask."""
        index: _Index | None = operation.derived.get(_INDEX)
        if index is None:
            requirements = requirements_of(
                supergraph.api_schema, supergraph.authorization, operation
            )
            policies = frozenset(
                name for requirement in requirements for name in requirement.policy_names
            )
            index = operation.derived[_INDEX] = _Index(requirements, policies)
        if not index.requirements:
            return None
        if granted is None:
            if index.policies and self.policy_hook is not None:
                return PolicyQuestion(index.policies)
            granted = frozenset()
        authenticated = identity.authenticated
        scopes = identity.scopes
        verdict = tuple(r.met(authenticated, scopes, granted) for r in index.requirements)
        if all(verdict):
            return None
        key = (_FILTERED, operation.conditions(variables), verdict)
        try:
            return operation.derived[key]  # type: ignore[no-any-return]
        except KeyError:
            pass
        verdicts = dict(zip(index.requirements, verdict, strict=True))

        def allowed(requirement: Requirement) -> bool:
            found = verdicts.get(requirement)
            if found is None:
                found = requirement.met(authenticated, scopes, granted)
            return found

        filtered = filter_operation(
            supergraph.api_schema, supergraph.authorization, operation, variables, allowed
        )
        operation.derived[key] = filtered
        return filtered

    async def decide(self, identity: Identity, question: PolicyQuestion) -> frozenset[str]:
        """The policies of ``question`` granted to ``identity`` (none without a hook)."""
        if self.policy_hook is None:
            return frozenset()
        return await self.policy_hook.grant(identity, question.policies)


def check_startup(supergraph: Supergraph, settings: AuthSettings, *, production: bool) -> None:
    """Auth off with a supergraph carrying auth directives: a warning, or in production a
    refusal (``AuthorizationSetupError``, one line): every directive would go unenforced."""
    if settings.enabled or not supergraph.authorization:
        return
    applied = ", ".join(supergraph.authorization.applied)
    if production:
        raise AuthorizationSetupError(
            f"the supergraph applies {applied} but auth is off (set auth.jwks): "
            "production will not serve them unenforced"
        )
    log.warning(
        "auth is off (auth.jwks unset): the supergraph's %s are not enforced; "
        "every caller sees every field",
        applied,
    )
