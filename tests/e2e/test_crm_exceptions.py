"""The CRM sees what goes wrong in the warehouse: a milestone that says so opens a case on the
account and the order, and every milestone is an activity in the account's history, all of it
visible through the gateway."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import pytest

from tests.e2e.orders import Accounts, place_order
from tests.e2e.streams import MILESTONES_BY_ACCOUNT, ws_subscription
from tests.e2e.world import E2EWorld
from tests.orchestration.picks import Picker

CRM_VIEW = """
query Crm($id: ID!) {
  order(id: $id) {
    number
    cases { caseNumber subject status priority order { number } account { id } }
    account {
      id
      cases(open: true) { caseNumber }
      activities(first: 100) { subject type occurredAt orderNumber order { id } }
    }
  }
}
"""


@pytest.mark.parametrize(
    ("exception", "stage", "milestone", "priority"),
    [
        ("DAMAGED", "IN_TRANSIT", "EXCEPTION", "HIGH"),
        ("DELAYED", "IN_TRANSIT", "DELAYED", "MEDIUM"),
        ("PARTIAL_PICK", "PICKED", "BACKORDERED", "MEDIUM"),
    ],
)
async def test_a_warehouse_exception_opens_a_case_and_every_milestone_is_an_activity(
    e2e: E2EWorld,
    picker: Picker,
    accounts: Accounts,
    exception: str,
    stage: str,
    milestone: str,
    priority: str,
) -> None:
    account = accounts.take()
    async with ws_subscription(e2e, MILESTONES_BY_ACCOUNT, {"accountId": account}) as sub:
        placed = await asyncio.to_thread(place_order, e2e, picker, account, quantity=4)
        written = await asyncio.to_thread(
            e2e.advance, placed.fulfillment_order, stage, exception=exception
        )
        seen = [r["fulfillmentMilestones"] for r in await sub.take(1 + len(written))]
    [went_wrong] = [m for m in seen if m["type"] == milestone]
    assert went_wrong["exceptionReason"]
    assert went_wrong["order"]["number"] == placed.number

    await asyncio.to_thread(e2e.wait_settled, "crm")
    view: dict[str, Any] = await asyncio.to_thread(e2e.data, CRM_VIEW, {"id": placed.order_id})
    order = view["order"]
    [case] = order["cases"]
    assert (case["status"], case["priority"]) == ("NEW", priority)
    assert case["order"] == {"number": placed.number}
    assert case["account"] == {"id": account}
    assert placed.number in case["subject"]
    assert case["caseNumber"] in {c["caseNumber"] for c in order["account"]["cases"]}
    # One activity per milestone, about the order, newest first.
    activities = order["account"]["activities"]
    assert len(activities) == len(seen)
    assert {a["orderNumber"] for a in activities} == {placed.number}
    assert {a["order"]["id"] for a in activities} == {placed.order_id}
    times = [datetime.fromisoformat(a["occurredAt"]) for a in activities]
    assert times == sorted(times, reverse=True)
    assert sorted(times) == sorted(datetime.fromisoformat(m["occurredAt"]) for m in seen)
