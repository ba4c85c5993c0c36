"""The ``@policy`` decider: a Python callable named in settings (``module:attribute``).

It is given the request's identity and the policies the operation names, and returns those
it grants (any iterable of names). It may be sync or async; a sync one runs in a worker
thread so that a slow one cannot stall the event loop. It raising, answering something that
is not names, or taking longer than its timeout denies every policy it was asked (logged),
never a failed request: a broken decider must fail closed.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import logging
from collections.abc import Callable
from typing import Any

from gateway.auth import Identity

__all__ = ["AuthorizationSetupError", "PolicyHook", "PolicyHookError"]

log = logging.getLogger("gateway.authorization")


class AuthorizationSetupError(ValueError):
    """The auth directives cannot be enforced as configured (one line, at start)."""


class PolicyHookError(AuthorizationSetupError):
    """The policy hook setting names no callable."""


class PolicyHook:
    """Calls the decider; :meth:`grant` never raises."""

    def __init__(self, decide: Callable[..., Any], *, timeout: float = 1.0) -> None:
        self.decide = decide
        self.timeout = timeout
        self.name = getattr(decide, "__qualname__", repr(decide))

    @classmethod
    def load(cls, spec: str, *, timeout: float = 1.0) -> PolicyHook:
        """The callable ``spec`` names (``package.module:attribute``, dots after the colon
        reach into it); raise :class:`PolicyHookError` when it names none."""
        module_name, colon, attribute = spec.partition(":")
        if not colon or not module_name or not attribute:
            raise PolicyHookError(f"auth.policy_hook {spec!r} is not module:attribute")
        try:
            target: Any = importlib.import_module(module_name)
        except Exception as error:
            raise PolicyHookError(
                f"auth.policy_hook {spec!r}: cannot import {module_name}: {error}"
            ) from error
        for part in attribute.split("."):
            try:
                target = getattr(target, part)
            except AttributeError:
                raise PolicyHookError(
                    f"auth.policy_hook {spec!r}: {module_name} has no {attribute}"
                ) from None
        if not callable(target):
            raise PolicyHookError(f"auth.policy_hook {spec!r} is not callable")
        return cls(target, timeout=timeout)

    async def grant(self, identity: Identity, policies: frozenset[str]) -> frozenset[str]:
        """The ``policies`` the decider grants ``identity``; none when it fails."""
        try:
            async with asyncio.timeout(self.timeout):
                if inspect.iscoroutinefunction(self.decide):
                    answer = await self.decide(identity, policies)
                else:
                    answer = await asyncio.to_thread(self.decide, identity, policies)
                    if inspect.isawaitable(answer):
                        answer = await answer
        except TimeoutError:
            log.warning("policy hook %s took over %ss: policies denied", self.name, self.timeout)
            return frozenset()
        except Exception:
            log.exception("policy hook %s failed: policies denied", self.name)
            return frozenset()
        if isinstance(answer, str) or not _iterable(answer):
            log.warning("policy hook %s answered %r, not policy names: denied", self.name, answer)
            return frozenset()
        try:
            granted = frozenset(p for p in answer if isinstance(p, str))
        except Exception:
            log.exception("policy hook %s answered names that fail: policies denied", self.name)
            return frozenset()
        # Only what was asked: a decider cannot grant what the operation did not name.
        return granted & policies


def _iterable(value: Any) -> bool:
    try:
        iter(value)
    except TypeError:
        return False
    return True
