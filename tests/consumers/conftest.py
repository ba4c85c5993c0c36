"""Fixtures of the consumer tests: an ERP and a WMS of the module's own (over a copy of the
seeded world, since the tests write), both buses, and orders released and advanced."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from connectors.settings import system_client
from consumers import MilestoneConsumers
from crossdock.settings import Settings
from events import Consumer
from schema.events import FulfillmentMilestone
from systems.apps import create_system_app
from systems.world_records import World
from tests.events.conftest import events_prefix, stream, subject
from tests.events.harness import FAST, BusSubject
from tests.orchestration.conftest import copy_world
from tests.support.redis import redis_prefix, redis_url
from tests.support.rest import ok
from tests.support.servers import serve

__all__ = ["Released", "Systems", "events_prefix", "redis_prefix", "redis_url", "stream", "subject"]


@dataclass
class Released:
    """An ERP order and the one fulfillment order the WMS released for it."""

    order_id: str
    order_number: str
    fulfillment_order: str
    sku: str
    units: int


@dataclass
class Systems:
    """The module's ERP and WMS, their settings, and how to make and move orders in them."""

    settings: Settings
    erp: httpx.Client
    wms: httpx.Client
    world: World
    made: int = 0

    def release(self, key: str, *, units: int = 2) -> Released:
        """A confirmed ERP order of ``units`` units of one stocked SKU, released in the WMS."""
        account = next(a for a in self.world.accounts if a.active and not a.credit_hold)
        active = {p.sku for p in self.world.products if p.active}
        positions = [
            i
            for i in self.world.inventory
            if i.sku in active and i.on_hand - i.allocated >= units + 10
        ]
        position = positions[self.made]
        self.made += 1
        address = account.billing_address
        order = ok(
            self.erp.post(
                "/salesOrders",
                json={
                    "externalId": key,
                    "entity": {"externalId": account.id},
                    "shipAddress": {
                        "addr1": address.street,
                        "city": address.city,
                        "state": address.state,
                        "zip": address.postal_code,
                    },
                    "custbody_requested_delivery": "2027-01-15",
                    "item": {
                        "items": [
                            {
                                "item": {"refName": position.sku},
                                "quantity": units,
                                "location": {"refName": position.center_id},
                            }
                        ]
                    },
                },
            ),
            201,
        )
        order_id, number = str(order["internalId"]), str(order["tranId"])
        released = ok(
            self.wms.post(
                "/fulfillment-orders/release",
                json={
                    "release_id": key,
                    "order_ref": order_id,
                    "order_number": number,
                    "reservation_id": None,
                    "lines": [
                        {
                            "facility_id": position.center_id,
                            "item_number": position.sku,
                            "qty": units,
                        }
                    ],
                },
            ),
            201,
        )
        [fulfillment] = released["fulfillment_orders"]
        return Released(order_id, number, fulfillment["fulfillment_order_no"], position.sku, units)

    def advance(self, released: Released, to: str) -> list[dict[str, Any]]:
        """Move the fulfillment order on to stage ``to``; the webhook bodies it wrote."""
        answer = ok(
            self.wms.post(
                "/_admin/advance",
                json={"fulfillment_order_no": released.fulfillment_order, "to": to},
            )
        )
        events: list[dict[str, Any]] = answer["events"]
        return events

    def invoices(self, order_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = ok(self.erp.get("/invoices", params={"orderIds": order_id}))[
            "items"
        ]
        return found

    def order_status(self, order_id: str) -> str:
        status: str = ok(self.erp.get(f"/salesOrders/{order_id}"))["custbody_status"]
        return status

    def faults(self, **faults: object) -> None:
        body = {"latency_ms": 0, "error_rate": 0.0, "rate_limit_per_second": None, **faults}
        ok(self.erp.put("/_admin/faults", json=body))


@pytest.fixture(scope="module")
def systems(
    base_settings: Settings, world: World, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Systems]:
    settings = copy_world(base_settings, tmp_path_factory.mktemp("consumers-world"))
    with ExitStack() as stack:
        urls = {
            name: stack.enter_context(serve(create_system_app(name, settings.systems)))
            for name in ("erp", "wms")
        }
        settings = settings.model_copy(update={"erp_url": urls["erp"], "wms_url": urls["wms"]})
        erp = stack.enter_context(httpx.Client(base_url=urls["erp"], timeout=30))
        wms = stack.enter_context(httpx.Client(base_url=urls["wms"], timeout=30))
        yield Systems(settings, erp, wms, world)


async def publish(subject: BusSubject, stream: str, events: list[FulfillmentMilestone]) -> None:
    """Append ``events`` to ``stream`` as the webhook intake does."""
    for event in events:
        await subject.bus.publish(stream, event.event_id, event.to_json())


def consumers(
    systems: Systems, subject: BusSubject, stream: str, **options: Any
) -> MilestoneConsumers:
    """The ERP's and the returns consumers over ``systems``, on ``subject``'s bus (quick
    timings unless ``options`` say otherwise)."""
    return MilestoneConsumers(
        subject.bus,
        erp=system_client("erp", systems.settings.connectors),
        wms=system_client("wms", systems.settings.connectors),
        cache=subject.cache,
        stream=stream,
        **{**FAST, **options},
    )


def consumer_of(running: MilestoneConsumers, group: str) -> Consumer:
    """The consumer of ``group`` among every group ``running`` runs."""
    [found] = [c for c in running.consumers if c.group == group]
    return found
