"""``@policy`` decided by the hook: what it grants is served; what it denies, and everything
it was asked when it raises, times out or answers nonsense, is null (logged), never a 500."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest

from gateway import Gateway
from gateway.auth import Identity
from gateway.authorization import PolicyHook, PolicyHookError

QUERY = '{ user(id: "u1") { name tier profile { bio salary } } }'
SERVED = {"user": {"name": "Ada", "tier": "GOLD", "profile": {"bio": "engineer", "salary": 100}}}
DENIED = {
    "data": {"user": {"name": "Ada", "tier": None, "profile": {"bio": "engineer", "salary": None}}},
    "errors": [
        {
            "message": "Unauthorized field or type",
            "path": path,
            "extensions": {"code": "UNAUTHORIZED_FIELD_OR_TYPE"},
        }
        for path in (["user", "tier"], ["user", "profile", "salary"])
    ],
}


async def run(gateway: Gateway) -> dict[str, Any]:
    return dict((await gateway.execute({"query": QUERY})).response)


async def test_the_hook_is_asked_the_operations_policies_and_its_grants_are_served(
    gateway_for: Callable[..., Gateway],
) -> None:
    asked: list[tuple[Identity, frozenset[str]]] = []

    def decide(identity: Identity, policies: frozenset[str]) -> set[str]:
        asked.append((identity, policies))
        return {"hr", "everything", "not-asked"}

    assert await run(gateway_for(policy_hook=decide)) == {"data": SERVED}
    # Tier's [["tiers"], ["everything"]] and salary's [["hr"]]: every policy the operation names.
    assert [policies for _, policies in asked] == [frozenset({"tiers", "everything", "hr"})]


async def test_an_async_hook(gateway_for: Callable[..., Gateway]) -> None:
    async def decide(identity: Identity, policies: frozenset[str]) -> frozenset[str]:
        await asyncio.sleep(0)
        return frozenset({"tiers", "hr"})

    assert await run(gateway_for(policy_hook=decide)) == {"data": SERVED}


async def test_what_the_hook_denies_is_null(gateway_for: Callable[..., Gateway]) -> None:
    assert await run(gateway_for(policy_hook=lambda identity, policies: [])) == DENIED


async def test_a_hook_that_raises_denies_everything(
    gateway_for: Callable[..., Gateway], caplog: pytest.LogCaptureFixture
) -> None:
    def broken(identity: Identity, policies: frozenset[str]) -> set[str]:
        raise RuntimeError("policy store down")

    with caplog.at_level(logging.WARNING, logger="gateway.authorization"):
        assert await run(gateway_for(policy_hook=broken)) == DENIED
    assert "policy store down" in caplog.text


async def test_a_slow_hook_denies_everything_at_its_timeout(
    gateway_for: Callable[..., Gateway], caplog: pytest.LogCaptureFixture
) -> None:
    release = asyncio.Event()

    async def slow(identity: Identity, policies: frozenset[str]) -> set[str]:
        await release.wait()
        return {"tiers", "hr"}

    with caplog.at_level(logging.WARNING, logger="gateway.authorization"):
        assert await run(gateway_for(policy_hook=slow, policy_timeout=0.05)) == DENIED
    assert "took over 0.05s" in caplog.text


async def test_a_slow_sync_hook_does_not_hold_the_loop(gateway_for: Callable[..., Gateway]) -> None:
    release = threading.Event()

    def blocking(identity: Identity, policies: frozenset[str]) -> set[str]:
        release.wait(5)
        return {"tiers", "hr"}

    try:
        assert await run(gateway_for(policy_hook=blocking, policy_timeout=0.05)) == DENIED
    finally:
        release.set()


@pytest.mark.parametrize("answer", [None, 42, "tiers hr"])
async def test_an_answer_that_is_not_names_denies(
    gateway_for: Callable[..., Gateway], answer: Any
) -> None:
    assert await run(gateway_for(policy_hook=lambda identity, policies: answer)) == DENIED


async def test_without_a_hook_every_policy_is_denied(gateway: Gateway) -> None:
    assert await run(gateway) == DENIED


def test_the_hook_is_loaded_by_name() -> None:
    hook = PolicyHook.load("tests.gateway.authorization.policies:grant_all", timeout=2)
    assert hook.timeout == 2
    assert hook.decide.__name__ == "grant_all"


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("no_colon_here", "is not module:attribute"),
        ("tests.gateway.authorization.no_such_module:decide", "cannot import"),
        ("tests.gateway.authorization.policies:missing", "has no missing"),
        ("tests.gateway.authorization.policies:NOT_CALLABLE", "is not callable"),
    ],
)
def test_a_bad_hook_name_fails_at_start_in_one_line(spec: str, says: str) -> None:
    with pytest.raises(PolicyHookError, match=says) as raised:
        PolicyHook.load(spec)
    assert "\n" not in str(raised.value)
