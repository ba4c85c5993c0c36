"""The operations page over the real graph: an order a test drove into a stage and left there
shows in the page's at-risk list, live, as stuck in that stage.

The e2e stack counts an order as stuck in PICKING after two seconds (``tests/e2e/conftest.py``).
"""

from __future__ import annotations

from playwright.sync_api import Page

from tests.e2e.orders import Accounts, place_order
from tests.e2e.world import E2EWorld
from tests.orchestration.picks import Picker
from tests.support.browser import PageProblems, chromium, page

__all__ = ["chromium", "page"]

# The at-risk list follows the monitoring's own clock; generous for a loaded machine.
WAIT_MS = 60000


def test_an_order_left_in_picking_shows_as_stuck(
    e2e: E2EWorld, picker: Picker, accounts: Accounts, page: Page
) -> None:
    problems = PageProblems().watch(page)
    page.goto(f"{e2e.gateway}/ops")
    # The page's first query answered: updated, or the graph's refusal (without BAM).
    status = page.locator("#status")
    page.wait_for_selector("#status:has-text('Updated'), #status.error", timeout=WAIT_MS)
    assert "error" not in (status.get_attribute("class") or ""), status.inner_text()
    page.wait_for_selector("#live:has-text('live,')", timeout=WAIT_MS)
    placed = place_order(e2e, picker, accounts.take())
    e2e.advance(placed.fulfillment_order, to="PICKING")  # and never further
    row = page.locator(f"#at-risk tr[data-order-id='{placed.order_id}']")
    row.wait_for(timeout=WAIT_MS)
    assert row.locator("td").nth(0).inner_text() == placed.number
    assert row.locator("td").nth(2).inner_text() == "STUCK_IN_STAGE"
    assert "PICK" in row.locator("td").nth(1).inner_text().upper()
    assert problems.lines == []
