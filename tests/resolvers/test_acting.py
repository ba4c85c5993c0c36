"""The orchestration acts for an actor: refused before any call, keys scoped by account, and the
actor kept in the journal, so a workflow finished by recovery writes in its starter's name."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from cache.memory import MemoryCache
from resolvers.authority import (
    Forbidden,
    actor_from_json,
    actor_json,
    audit_name,
    scoped_key,
)
from resolvers.cancel import CancelRequest
from resolvers.journal import WorkflowState
from resolvers.records import Outcome
from schema.actor import SYSTEM, Actor
from tests.orchestration.picks import Picker
from tests.resolvers.conftest import OwnSystems
from tests.resolvers.test_submit import Crash, erp_order, journaled, request, service
from tests.support.graphql import route_counts


def customer(account: str, *scopes: str) -> Actor:
    return Actor(
        subject=f"customer-of-{account}",
        scopes=frozenset(scopes or ("orders:read", "orders:write", "returns:write")),
        account_id=account,
    )


STAFF = Actor(subject="staff-bo", scopes=frozenset({"staff"}), account_id=None)


def other_account(picker: Picker, account: str) -> str:
    return next(
        a.id for a in picker.world.accounts if a.active and not a.credit_hold and a.id != account
    )


def calls(own: OwnSystems) -> int:
    total = 0
    for system in ("crm", "erp", "wms"):
        with httpx.Client(base_url=own.urls[system], timeout=10) as admin:
            total += sum(route_counts(admin).values())
    return total


async def test_refusals_call_no_system_and_journal_nothing(
    own_systems: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    x = picker.account()
    y = other_account(picker, x)
    cache = MemoryCache()
    orders = service(own_systems, tmp_path / "journal.sqlite3", cache)
    try:
        await orders.recovered()
        before = calls(own_systems)
        with pytest.raises(Forbidden, match="account"):
            await orders.submit(request(y, picker.stocked(), 1), "k", customer(x))
        with pytest.raises(Forbidden, match="orders:write"):
            await orders.submit(request(x, picker.stocked(), 1), "k", customer(x, "orders:read"))
        with pytest.raises(Forbidden, match="staff"):
            await orders.receive_return({"returnAuthorizationId": "1", "lines": []}, "k",
                                        customer(x))  # fmt: skip
        with pytest.raises(Forbidden, match="account"):
            await orders.promise(request(y, picker.stocked(), 1), customer(x))
        assert calls(own_systems) == before
        assert journaled(tmp_path / "journal.sqlite3") == []
    finally:
        await orders.aclose()


async def test_a_workflow_recovered_after_a_crash_keeps_its_actor(
    own_systems: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    x = picker.account()
    sku = picker.stocked()
    journal = tmp_path / "journal.sqlite3"

    async def crash(finished: str, state: WorkflowState) -> None:
        if finished == "reserve":
            raise Crash

    first = service(own_systems, journal, MemoryCache(), crash)
    with pytest.raises(Crash):
        await first.submit(request(x, sku, 2), "crash-1", customer(x))
    await first.aclose()
    [left] = journaled(journal)
    assert left.actor == customer(x)

    # A restart that forgot every idempotency record: the journal alone remembers.
    second = service(own_systems, journal, MemoryCache())
    try:
        [ended] = await second.recovered()
        assert (ended.status, ended.actor) == ("COMPLETED", customer(x))
        order = erp_order(own_systems, ended.data["orderId"])
        assert order["custbody_submitted_by"] == f"customer-of-{x}"
        # X's retry answers the recovered order; Y's same words are Y's own key.
        replay = await second.submit(request(x, sku, 2), "crash-1", customer(x))
        assert replay.order_id == ended.data["orderId"]
        y = other_account(picker, x)
        theirs = await second.submit(request(y, sku, 1), "crash-1", customer(y))
        assert theirs.outcome is Outcome.CONFIRMED
        assert theirs.order_id != ended.data["orderId"]
    finally:
        await second.aclose()


async def test_a_cancellation_recovered_after_a_crash_names_its_actor(
    own_systems: OwnSystems, picker: Picker, tmp_path: Path
) -> None:
    x = picker.account()
    journal = tmp_path / "journal.sqlite3"

    async def crash(finished: str, state: WorkflowState) -> None:
        if finished == "cancel_fulfillment":
            raise Crash

    first = service(own_systems, journal, MemoryCache(), crash)
    submitted = await first.submit(request(x, picker.stocked(), 1), "to-cancel", STAFF)
    assert submitted.order_id is not None
    with pytest.raises(Crash):
        await first.cancel(CancelRequest(submitted.order_id, None, "no"), "c-1", customer(x))
    await first.aclose()
    second = service(own_systems, journal, MemoryCache())
    try:
        [ended] = await second.recovered()
        assert (ended.kind, ended.status) == ("cancelOrder", "COMPLETED")
        order = erp_order(own_systems, submitted.order_id)
        assert (order["custbody_status"], order["custbody_submitted_by"]) == (
            "CANCELLED",
            "staff-bo",
        )
        assert order["custbody_cancelled_by"] == f"customer-of-{x}"
    finally:
        await second.aclose()


def test_the_journal_keeps_the_actor_and_reads_old_entries_as_the_system() -> None:
    state = WorkflowState(id="WF-1", kind="submitOrder", request={}, actor=customer("001X"))
    assert WorkflowState.loads(state.dumps()).actor == customer("001X")
    assert actor_from_json(actor_json(STAFF)) == STAFF
    assert actor_from_json(actor_json(SYSTEM)) == SYSTEM
    assert actor_from_json(None) == SYSTEM


def test_keys_are_namespaced_so_no_namespace_can_spell_another() -> None:
    assert scoped_key(SYSTEM, "k") == "k"
    a, b = customer("A:1"), customer("A")
    assert scoped_key(a, "k") != scoped_key(b, "1:k")
    assert scoped_key(customer("A"), "k") == scoped_key(customer("A", "staff:no"), "k")
    assert scoped_key(STAFF, "k") != scoped_key(SYSTEM, "k")


def test_the_systems_record_a_subject_or_the_system_never_a_guess() -> None:
    assert audit_name(customer("001X")) == "customer-of-001X"
    assert audit_name(SYSTEM) == "system"
    nameless = Actor(subject=None, scopes=frozenset({"staff"}), account_id=None)
    assert audit_name(nameless) == "unnamed"
