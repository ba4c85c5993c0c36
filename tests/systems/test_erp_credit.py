"""The ERP's credit check at order entry: this order's total, tax included, against what is
left of the limit, decided in the entering transaction even for orders entered at once
through two ERP servers over one database file (as two processes would be)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from crossdock.settings import Settings
from systems.apps import create_system_app
from systems.world_names import TAX_RATES
from systems.world_records import World
from tests.support.rest import ok
from tests.support.servers import serve
from tests.systems.harness import private_system, race
from tests.systems.test_erp_writes_orders import order_body, products


@pytest.fixture
def erp(base_settings: Settings, tmp_path: Path) -> Iterator[httpx.Client]:
    with private_system("erp", base_settings, tmp_path) as client:
        yield client


@pytest.fixture
def second_erp(erp: httpx.Client, base_settings: Settings, tmp_path: Path) -> Iterator[str]:
    """Another ERP server over the same database file: its own connections and lock, so only
    SQLite's own locking keeps the two apart, as between two processes."""
    settings = base_settings.model_copy(update={"data_dir": tmp_path})
    with ExitStack() as stack:
        yield stack.enter_context(serve(create_system_app("erp", settings.systems)))


def credit(erp: httpx.Client, account_id: str) -> tuple[Decimal, Decimal]:
    """(limit, exposure) as the ERP shows them now."""
    [row] = ok(erp.get("/customers", params={"externalIds": account_id}))["items"]
    return Decimal(row["creditLimit"]), Decimal(row["creditExposure"])


def roomy_account(erp: httpx.Client, world: World) -> str:
    """An active account, not held by hand, with some credit left."""
    for account in world.accounts:
        if not account.active or account.credit_hold:
            continue
        limit, exposure = credit(erp, account.id)
        if limit - exposure > 1000:
            return account.id
    raise AssertionError("no account with credit left")


def one_line(world: World, account_id: str, key: str, rate: Decimal, **changes: Any) -> Any:
    """An order of one unit at ``rate`` for ``account_id``, shipped to New Jersey."""
    [product] = products(world, 1)
    return order_body(
        world,
        key,
        entity={"externalId": account_id},
        item={"items": [{"item": {"refName": product.sku}, "quantity": 1, "rate": str(rate),
                         "location": {"refName": "EWR1"}}]},
        **changes,
    )  # fmt: skip


def status(order: dict[str, Any]) -> tuple[str, str | None]:
    return order["custbody_status"], order["custbody_hold_reason"]


def test_an_order_whose_tax_takes_it_over_the_limit_is_held(
    erp: httpx.Client, world: World
) -> None:
    account = roomy_account(erp, world)
    limit, exposure = credit(erp, account)
    headroom = limit - exposure
    # The subtotal fits exactly; only the tax does not.
    held = ok(erp.post("/salesOrders", json=one_line(world, account, "tax-1", headroom)), 201)
    assert Decimal(held["taxTotal"]) > 0
    assert status(held) == ("ON_HOLD", "CREDIT")
    _, exposure = credit(erp, account)  # the held order counts, as every open order does
    assert exposure == limit - headroom + Decimal(held["total"])


def test_an_order_that_fits_with_its_tax_is_confirmed(erp: httpx.Client, world: World) -> None:
    account = roomy_account(erp, world)
    limit, exposure = credit(erp, account)
    rate = ((limit - exposure) / (1 + TAX_RATES["NJ"]) - Decimal("0.05")).quantize(
        Decimal("0.01"), ROUND_DOWN
    )
    order = ok(erp.post("/salesOrders", json=one_line(world, account, "fit-1", rate)), 201)
    assert status(order) == ("CONFIRMED", None)
    assert credit(erp, account)[1] <= limit


def test_an_account_held_by_hand_gets_every_order_held(erp: httpx.Client, world: World) -> None:
    account = next(a.id for a in world.accounts if a.active and a.credit_hold)
    order = ok(erp.post("/salesOrders", json=one_line(world, account, "hand-1", Decimal(1))), 201)
    assert status(order) == ("ON_HOLD", "CREDIT")


def test_orders_entered_at_once_through_two_servers_confirm_only_what_fits(
    erp: httpx.Client, second_erp: str, world: World
) -> None:
    account = roomy_account(erp, world)
    limit, exposure = credit(erp, account)
    headroom = limit - exposure
    # Each order (tax included) a little over a quarter of the headroom: three fit, not four.
    total = headroom / Decimal("3.6")
    rate = (total / (1 + TAX_RATES["NJ"])).quantize(Decimal("0.01"))
    bodies = [one_line(world, account, f"race-{n}", rate) for n in range(10)]
    servers = [str(erp.base_url), second_erp]

    def call(n: int) -> Any:
        def post(own: httpx.Client) -> httpx.Response:
            return own.post(f"{servers[n % 2]}/salesOrders", json=bodies[n])

        return post

    answers = [ok(answer, 201) for answer in race(erp, [call(n) for n in range(10)])]
    confirmed = [a for a in answers if status(a) == ("CONFIRMED", None)]
    held = [a for a in answers if status(a) == ("ON_HOLD", "CREDIT")]
    assert (len(confirmed), len(held)) == (3, 7)
    assert sum(Decimal(a["total"]) for a in confirmed) <= headroom


def check_body(order: dict[str, Any]) -> dict[str, Any]:
    """The credit check of ``order``: its customer, address and lines, nothing to enter."""
    return {k: order[k] for k in ("entity", "shipAddress", "item")}


def test_a_credit_check_answers_what_entering_the_order_decides(
    erp: httpx.Client, world: World
) -> None:
    account = roomy_account(erp, world)
    limit, exposure = credit(erp, account)
    headroom = limit - exposure
    over = one_line(world, account, "check-over", headroom)  # fits only before tax
    under = one_line(world, account, "check-under", (headroom / 2).quantize(Decimal("0.01")))
    checked = ok(erp.post("/salesOrders/creditCheck", json=check_body(over)))
    assert checked["fits"] is False
    assert Decimal(checked["subtotal"]) == headroom
    assert Decimal(checked["total"]) == headroom + Decimal(checked["taxTotal"]) > headroom
    assert (Decimal(checked["creditLimit"]), Decimal(checked["creditExposure"])) == (
        limit,
        exposure,
    )
    assert ok(erp.post("/salesOrders/creditCheck", json=check_body(under)))["fits"] is True
    # Nothing was entered, and entry decides the same.
    assert credit(erp, account) == (limit, exposure)
    held = ok(erp.post("/salesOrders", json=over), 201)
    assert status(held) == ("ON_HOLD", "CREDIT")
    assert Decimal(held["total"]) == Decimal(checked["total"])


def test_a_credit_check_refuses_what_an_order_would_be_refused_for(
    erp: httpx.Client, world: World
) -> None:
    account = roomy_account(erp, world)
    body = check_body(one_line(world, account, "check-bad", Decimal(1)))
    unknown_state = {**body, "shipAddress": {**body["shipAddress"], "state": "ZZ"}}
    answer = erp.post("/salesOrders/creditCheck", json=unknown_state)
    assert answer.status_code == 422 and "no tax rate" in answer.text
    answer = erp.post("/salesOrders/creditCheck", json={**body, "externalId": "x"})
    assert answer.status_code == 422
    unknown = {**body, "entity": {"externalId": "ACC-NOPE"}}
    assert erp.post("/salesOrders/creditCheck", json=unknown).status_code == 422
