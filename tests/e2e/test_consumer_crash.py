"""A consumer killed (``kill -9``) while it holds entries loses none of them: the live
consumer of its group reclaims them once they have been idle long enough, and each event takes
effect once (one invoice per shipment, every order completed; one CRM activity per
milestone)."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from consumers import CRM_GROUP, ERP_GROUP
from tests.e2e.orders import Accounts, Placed, place_order
from tests.e2e.world import E2EWorld
from tests.orchestration.picks import Picker
from tests.support.waiting import wait_until

REPO = Path(__file__).resolve().parents[2]
# Long enough that a replica is caught in the middle of billing a shipment.
INVOICE_LATENCY_MS = 3000
ORDER = """
query Order($id: ID!) {
  order(id: $id) { id status invoices { shipment { id } } }
}
"""


class Replica:
    """The ``tests.e2e.replica`` process and the lines it printed."""

    def __init__(self, process: subprocess.Popen[str], name: str) -> None:
        self.process = process
        self.name = name
        self.lines: queue.Queue[str] = queue.Queue()
        self.handling: list[tuple[str, str]] = []  # (entry id, event id), as it started each
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.strip())

    def wait_for(self, wanted: str, *, timeout: float = 20.0) -> None:
        """Until it printed ``wanted`` (collecting what it started handling meanwhile)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise TimeoutError(f"the replica did not print {wanted!r}") from None
            if line.startswith("handling "):
                _, entry, event = line.split()
                self.handling.append((entry, event))
            if line == wanted:
                return

    def started(self, event_ids: set[str]) -> bool:
        """Whether it has started handling one of ``event_ids`` (reads what it printed)."""
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                break
            if line.startswith("handling "):
                _, entry, event = line.split()
                self.handling.append((entry, event))
        return any(event in event_ids for _, event in self.handling)


@contextmanager
def replica(world: E2EWorld, group: str = ERP_GROUP) -> Iterator[Replica]:
    """Start a replica of ``group`` in its own process; it is killed on leaving."""
    settings = world.settings
    assert settings.redis_url and settings.erp_url and settings.wms_url and settings.crm_url
    env = {k: v for k, v in os.environ.items() if not k.startswith("CROSSDOCK_")}
    env |= {
        "REDIS_URL": settings.redis_url,
        "CROSSDOCK_ERP_URL": settings.erp_url,
        "CROSSDOCK_CRM_URL": str(settings.crm_url),
        "CROSSDOCK_WMS_URL": settings.wms_url,
        "CROSSDOCK_CACHE_PREFIX": settings.cache_prefix,
        "CROSSDOCK_SEED": str(settings.seed),
        "CROSSDOCK_SYSTEM_TIMEOUT_SECONDS": "30",
    }
    name = f"doomed-{uuid.uuid4().hex[:8]}"
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.replica", name, group],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        started = Replica(process, name)
        started.wait_for("ready")
        yield started
    finally:
        process.kill()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


@pytest.mark.slow
def test_a_consumer_killed_mid_batch_loses_nothing(
    e2e: E2EWorld, picker: Picker, accounts: Accounts
) -> None:
    e2e.faults("erp", "POST /invoices", latency_ms=INVOICE_LATENCY_MS)
    placed: list[Placed] = []
    shipped: set[str] = set()
    with replica(e2e) as doomed:
        # Two shipments at once: each consumer of the group is busy billing one of them.
        for _ in range(3):
            pair = [place_order(e2e, picker, accounts.take()) for _ in range(2)]
            for order in pair:
                written = e2e.advance(order.fulfillment_order, "DELIVERED")
                shipped |= {w["event_id"] for w in written if w["event_code"] == "SH_SHP"}
            placed += pair
            try:
                billing = partial(doomed.started, shipped)
                wait_until(billing, timeout=8, what="the replica billing a shipment")
                break
            except TimeoutError:
                continue  # the stack's consumer took both: another pair
        held = e2e.pending(ERP_GROUP, doomed.name)
        in_hand = [entry for entry, event in doomed.handling if event in shipped]
        assert in_hand and set(in_hand) <= set(held), (in_hand, held)
        doomed.process.kill()  # kill -9, in the middle of the ERP call
        doomed.process.wait(timeout=10)
    e2e.clear_faults()

    def orders() -> list[dict[str, Any]]:
        return [e2e.data(ORDER, {"id": order.order_id})["order"] for order in placed]

    def all_done() -> bool:
        return all(o["status"] == "COMPLETED" and o["invoices"] for o in orders())

    wait_until(all_done, timeout=45, what="every order billed and completed")
    e2e.wait_settled(ERP_GROUP)
    assert e2e.pending(ERP_GROUP, doomed.name) == []
    for found in orders():
        assert len(found["invoices"]) == 1, found
        in_erp = e2e.system("erp", "GET", "/invoices", params={"orderIds": found["id"]})
        assert len(in_erp["items"]) == 1, in_erp
    # What the replica held went to the live consumer, not to the dead letters.
    held_events = {x.event["event_id"] for x in e2e.entries() if x.id in set(held)}
    assert not held_events & {d["event_id"] for d in e2e.dead_letters()}


ACTIVITIES = """
query Activities($id: ID!) {
  order(id: $id) { account { activities(first: 100) { subject occurredAt } } }
}
"""


@pytest.mark.slow
def test_a_crm_consumer_killed_mid_activity_records_each_milestone_once(
    e2e: E2EWorld, picker: Picker, accounts: Accounts
) -> None:
    e2e.faults("crm", "POST /tasks", latency_ms=INVOICE_LATENCY_MS)
    placed: list[Placed] = []
    written: set[str] = set()
    with replica(e2e, CRM_GROUP) as doomed:
        # Two orders' milestones at once: each consumer of the group is busy with one.
        for _ in range(3):
            pair = [place_order(e2e, picker, accounts.take()) for _ in range(2)]
            for order in pair:
                written |= {w["event_id"] for w in e2e.advance(order.fulfillment_order, "PICKED")}
            placed += pair
            try:
                busy = partial(doomed.started, written)
                wait_until(busy, timeout=8, what="the replica recording an activity")
                break
            except TimeoutError:
                continue  # the stack's consumer took them all: another pair
        held = e2e.pending(CRM_GROUP, doomed.name)
        in_hand = [entry for entry, event in doomed.handling if event in written]
        assert in_hand and set(in_hand) <= set(held), (in_hand, held)
        doomed.process.kill()  # kill -9, in the middle of the CRM call
        doomed.process.wait(timeout=10)
    e2e.clear_faults()

    ids = {order.order_id for order in placed}
    milestones: dict[str, int] = dict.fromkeys(ids, 0)
    for entry in e2e.entries():
        if entry.event.get("order_id") in ids and not entry.event.get("replay_of"):
            milestones[entry.event["order_id"]] += 1

    def activities() -> dict[str, int]:
        return {
            order_id: len(e2e.data(ACTIVITIES, {"id": order_id})["order"]["account"]["activities"])
            for order_id in ids
        }

    wait_until(lambda: activities() == milestones, timeout=45, what="one activity per milestone")
    e2e.wait_settled(CRM_GROUP)
    assert activities() == milestones  # and no more once everything is acknowledged
    assert e2e.pending(CRM_GROUP, doomed.name) == []
    held_events = {x.event["event_id"] for x in e2e.entries() if x.id in set(held)}
    assert not held_events & {d["event_id"] for d in e2e.dead_letters()}
