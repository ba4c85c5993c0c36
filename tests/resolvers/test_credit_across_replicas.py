"""Credit holds across replicas: two orders services, each in a process of its own with its
own event loop, journal and idempotency records (two replicas sharing nothing but the
systems, so no lock of one process can serialize them), submit for one account at once over
real HTTP; the ERP's check at entry confirms only what fits."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
from decimal import Decimal
from pathlib import Path

import httpx

from cache.memory import MemoryCache
from resolvers.journal import SqliteJournal, WorkflowState
from resolvers.records import Outcome, SubmitResult
from resolvers.service import OrdersService
from resolvers.settings import WorkflowSettings
from resolvers.systems import Systems
from systems.world_names import TAX_RATES
from systems.world_records import World
from tests.orchestration.picks import Picker
from tests.resolvers.conftest import OwnSystems
from tests.resolvers.test_keys_and_recovery import PRIORITY
from tests.resolvers.test_submit import request

REPLICAS = 2
PER_REPLICA = 5


def credit(own: OwnSystems, account: str) -> tuple[Decimal, Decimal]:
    """(limit, exposure) as the ERP shows them now."""
    answer = httpx.get(f"{own.urls['erp']}/customers", params={"externalIds": account}, timeout=10)
    [row] = answer.json()["items"]
    return Decimal(row["creditLimit"]), Decimal(row["creditExposure"])


def lone_account(own: OwnSystems, world: World, picker: Picker) -> str:
    """An account in good standing, with room for a few orders, that no other test uses."""
    taken = {picker.small_account(), *(picker.account(region=a.region) for a in world.accounts)}
    for account in sorted(world.accounts, key=lambda a: a.id):
        if account.active and not account.credit_hold and account.id not in taken:
            limit, exposure = credit(own, account.id)
            if 2_000 < limit - exposure < 50_000:
                return account.id
    raise AssertionError("no account with a few orders' room")


def replica(own: OwnSystems, folder: Path) -> OrdersService:
    return replica_of(own.settings.workflows, folder)


def replica_of(workflows: WorkflowSettings, folder: Path) -> OrdersService:
    return OrdersService(
        Systems.from_settings(workflows),
        SqliteJournal(folder / "journal.sqlite3"),
        MemoryCache(),
        retention_seconds=600,
        priority=PRIORITY,
    )


# What a replica process reports of each submission: (outcome, hold reason, order id, pid).
Answer = tuple[str, str | None, str | None, int]


def replica_process(
    workflows: WorkflowSettings,
    folder: Path,
    n: int,
    account: str,
    sku: str,
    units: int,
    start: threading.Barrier,
    answers: multiprocessing.Queue[list[Answer]],
) -> None:
    """A replica in a process of its own: waits for the others, then submits at once."""

    async def submit_all() -> list[SubmitResult]:
        service = replica_of(workflows, folder)
        try:
            start.wait(timeout=120)
            return await asyncio.gather(
                *(
                    service.submit(request(account, sku, units), f"credit-{n}-{k}")
                    for k in range(PER_REPLICA)
                )
            )
        finally:
            await service.aclose()

    results = asyncio.run(submit_all())
    answers.put([(r.outcome.value, r.hold_reason, r.order_id, os.getpid()) for r in results])


def test_concurrent_orders_from_two_replicas_confirm_only_what_fits(
    own_systems: OwnSystems, world: World, picker: Picker, tmp_path: Path
) -> None:
    # Backordered throughout (no center has it): the backordered lines count in the credit,
    # and no stock race between the orders muddles what the credit decides.
    account, sku = lone_account(own_systems, world, picker), picker.out_of_stock()
    limit, exposure = credit(own_systems, account)
    headroom = limit - exposure
    # One unit's price, then as many units as make an order (tax included) about a quarter
    # of the room: three such orders fit, the fourth does not.
    probe = asyncio.run(_promise(own_systems, tmp_path / "probe", account, sku, 1))
    units = max(1, int(headroom / Decimal("3.6") / (probe * (1 + TAX_RATES["NJ"]))))
    planned = asyncio.run(_promise(own_systems, tmp_path / "probe", account, sku, units))
    total = planned * (1 + TAX_RATES["NJ"])
    fitting = int(headroom // total)
    assert 1 <= fitting < REPLICAS * PER_REPLICA
    processes = multiprocessing.get_context("spawn")
    start = processes.Barrier(REPLICAS)
    answers: multiprocessing.Queue[list[Answer]] = processes.Queue()
    replicas = []
    for n in range(REPLICAS):
        folder = tmp_path / f"replica-{n}"
        folder.mkdir()
        args = (own_systems.settings.workflows, folder, n, account, sku, units, start, answers)
        replicas.append(processes.Process(target=replica_process, args=args))
    for process in replicas:
        process.start()
    try:
        results = [a for _ in replicas for a in answers.get(timeout=300)]
    finally:
        for process in replicas:
            process.join(timeout=60)
            if process.is_alive():
                process.kill()
    assert all(p.exitcode == 0 for p in replicas)
    assert len({pid for *_, pid in results}) == REPLICAS  # really two processes
    assert len(results) == REPLICAS * PER_REPLICA
    outcomes = sorted((outcome, reason) for outcome, reason, _, _ in results)
    confirmed = [order for outcome, _, order, _ in results if outcome == Outcome.CONFIRMED.value]
    assert len(confirmed) == fitting, outcomes
    assert all(
        (outcome, reason) == (Outcome.ON_HOLD.value, "CREDIT")
        for outcome, reason, _, _ in results
        if outcome != Outcome.CONFIRMED.value
    ), outcomes
    orders = httpx.get(
        f"{own_systems.urls['erp']}/salesOrders",
        params={"ids": ",".join(str(order) for order in confirmed)},
        timeout=10,
    ).json()["items"]
    assert {o["custbody_status"] for o in orders} == {"CONFIRMED"}
    assert sum(Decimal(o["total"]) for o in orders) <= headroom


async def _promise(own: OwnSystems, folder: Path, account: str, sku: str, units: int) -> Decimal:
    """The subtotal a submission of ``units`` of ``sku`` would be planned at now."""
    folder.mkdir(exist_ok=True)
    service = replica(own, folder)
    try:
        promise = await service.promise(request(account, sku, units))
    finally:
        await service.aclose()
    assert promise.plan is not None, promise.user_errors
    return promise.plan.subtotal


def test_credit_gone_between_plan_and_entry_holds_the_order_and_frees_its_stock(
    own_systems: OwnSystems, world: World, picker: Picker, tmp_path: Path
) -> None:
    """The snapshot says the order fits; before it is entered, another order (entered at the
    ERP directly, as another replica's would be) takes the room. The ERP holds this one for
    CREDIT, and the workflow gives back the stock it had reserved and releases nothing."""
    account, sku = lone_account(own_systems, world, picker), picker.stocked()
    before = own_systems.available(sku)
    limit, exposure = credit(own_systems, account)
    product = next(p for p in world.products if p.active and p.sku != sku)

    async def take_the_room(finished: str, state: WorkflowState) -> None:
        if finished != "reserve":
            return
        _, now = credit(own_systems, account)
        rate = ((limit - now) / (1 + TAX_RATES["NJ"])).quantize(Decimal("0.01"))
        body = {
            "externalId": f"room-{state.id}",
            "entity": {"externalId": account},
            "shipAddress": {"addr1": "1 Dock St", "city": "Newark", "state": "NJ", "zip": "07105"},
            "custbody_requested_delivery": "2026-12-15",
            "item": {
                "items": [{"item": {"refName": product.sku}, "quantity": 1, "rate": str(rate)}]
            },
        }
        async with httpx.AsyncClient() as client:
            answer = await client.post(f"{own_systems.urls['erp']}/salesOrders", json=body)
        assert answer.status_code == 201, answer.text

    async def run() -> SubmitResult:
        service = OrdersService(
            Systems.from_settings(own_systems.settings.workflows),
            SqliteJournal(tmp_path / "journal.sqlite3"),
            MemoryCache(),
            retention_seconds=600,
            priority=PRIORITY,
            after_step=take_the_room,
        )
        try:
            return await service.submit(request(account, sku, 1), "room-1")
        finally:
            await service.aclose()

    assert exposure < limit
    result = asyncio.run(run())
    assert (result.outcome, result.hold_reason) == (Outcome.ON_HOLD, "CREDIT")
    order = httpx.get(f"{own_systems.urls['erp']}/salesOrders/{result.order_id}", timeout=10)
    assert (order.json()["custbody_status"], order.json()["custbody_hold_reason"]) == (
        "ON_HOLD",
        "CREDIT",
    )
    assert own_systems.available(sku) == before  # reserved, then given back
