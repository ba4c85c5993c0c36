"""An event the ERP's consumer cannot handle (the ERP refuses every invoice) is parked in the
dead letters after its attempts, shown by ``crossdock events``, and replayed with it once the
ERP is fixed: it bills the shipment once, and the groups that had handled it change nothing."""

from __future__ import annotations

import pytest

from tests.e2e.cli import crossdock_events
from tests.e2e.orders import Accounts, place_order
from tests.e2e.world import CONSUMER_OPTIONS, E2EWorld
from tests.orchestration.picks import Picker
from tests.support.waiting import wait_until

STREAM = "fulfillment-milestones"
VIEW = """
query View($id: ID!) {
  order(id: $id) {
    invoices { shipment { id } }
    account { activities(first: 100) { subject } }
  }
}
"""


@pytest.mark.slow
def test_a_poison_event_is_dead_lettered_then_replayed_once_after_the_fix(
    e2e: E2EWorld, picker: Picker, accounts: Accounts
) -> None:
    placed = place_order(e2e, picker, accounts.take())
    e2e.faults("erp", "POST /invoices", error_rate=1.0)
    written = e2e.advance(placed.fulfillment_order, "SHIPPED")
    [shipped] = [w for w in written if w["event_code"] == "SH_SHP"]

    def parked() -> list[dict[str, object]]:
        return [d for d in e2e.dead_letters() if d["event_id"] == shipped["event_id"]]

    wait_until(lambda: bool(parked()), timeout=30, what="the SHIPPED event dead-lettered")
    [letter] = parked()
    assert letter["group"] == "erp"
    assert letter["attempts"] == str(CONSUMER_OPTIONS["max_attempts"])
    assert "503" in str(letter["error"])
    # The operator sees it, with why.
    shown = crossdock_events(e2e, "dead-letters", STREAM)
    assert f"event={shipped['event_id']}" in shown.stdout
    assert "group=erp" in shown.stdout
    assert "dead_letters=" in crossdock_events(e2e, "list").stdout
    # Nothing billed; the CRM, another group, recorded the shipment all the same.
    e2e.wait_settled("erp", "crm")
    view = e2e.data(VIEW, {"id": placed.order_id})["order"]
    assert view["invoices"] == []
    activities = len(view["account"]["activities"])
    assert activities == 1 + len(written)

    # The fix, then the replay.
    e2e.clear_faults()
    replayed = crossdock_events(e2e, "replay", STREAM, "--dead-letters")
    assert "replayed" in replayed.stdout
    wait_until(lambda: not parked(), timeout=10, what="the dead letter taken back")
    e2e.wait_settled("erp", "crm", "returns")
    view = e2e.data(VIEW, {"id": placed.order_id})["order"]
    assert view["invoices"] == [{"shipment": {"id": shipped["shipment_no"]}}]
    assert len(view["account"]["activities"]) == activities
    in_erp = e2e.system("erp", "GET", "/invoices", params={"orderIds": placed.order_id})
    assert len(in_erp["items"]) == 1
    # Replaying again finds nothing left to replay for it.
    crossdock_events(e2e, "replay", STREAM, "--dead-letters")
    e2e.wait_settled("erp")
    assert parked() == []
