"""``/ops`` in a real headless Chromium, against a gateway composing a federation that serves
the page's contract with data the test puts in (``bam_federation``): the page loads with no
failed request, draws both charts from the series, shows the at-risk list, follows it live
through the subscription, links each order to GraphiQL opened on that order's query, and
sends the token it is given on both transports."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
from playwright.sync_api import Page, WebSocket

from crossdock.ops_page import ops_routes
from gateway.auth import AuthSettings
from gateway.server import GatewaySettings, create_gateway_app
from tests.crossdock.ops_page.bam_federation import (
    AtRisk,
    BamFederation,
    CycleBucket,
    FalloutBucket,
    FalloutTotal,
    running_bam_federation,
)
from tests.support.browser import PageProblems
from tests.support.servers import serve
from tests.support.tokens import TEST_AUDIENCE, TEST_ISSUER, TestIssuer

WAIT_MS = 15000
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
STUCK = AtRisk(
    order_id="o-1001",
    stage="RELEASED",
    since=NOW - timedelta(hours=30),
    reason="STUCK_IN_STAGE",
    detail="released 30 h ago; the threshold is 24 h",
    promised_date=date(2026, 12, 24),
)
LATE = AtRisk(
    order_id="o-2002",
    stage="SHIPPED",
    since=NOW - timedelta(hours=3),
    reason="SHIPMENT_EXCEPTION",
    detail="carrier reported DAMAGED",
)


@pytest.fixture(scope="module")
def federation() -> Iterator[BamFederation]:
    with running_bam_federation() as fed:
        hours = [NOW - timedelta(hours=h) for h in (3, 2, 1)]
        fed.board.cycle_series = [
            CycleBucket(start, stage, 4, 1800.0 * (i + 1), 3600.0 * (i + 1))
            for i, start in enumerate(hours)
            for stage in ("SUBMITTED_TO_RELEASED", "RELEASED_TO_SHIPPED")
        ]
        fed.board.fallout_series = [
            FalloutBucket(hours[0], "CREDIT_HOLD", 2),
            FalloutBucket(hours[2], "BACKORDERED", 1),
        ]
        fed.board.fallout = [FalloutTotal("CREDIT_HOLD", "over credit limit", 2, 0.125)]
        fed.board.set_at_risk([STUCK])
        yield fed


@pytest.fixture(scope="module")
def gateway_url(
    federation: BamFederation, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    supergraph = tmp_path_factory.mktemp("ops") / "supergraph.graphql"
    supergraph.write_text(federation.supergraph_sdl)
    app = create_gateway_app(supergraph, GatewaySettings(reload_interval=0), routes=ops_routes())
    with serve(app) as url:
        yield url


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture(scope="module")
def auth_gateway_url(
    federation: BamFederation, issuer: TestIssuer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The same graph behind a gateway with auth on: the contract's fields are staff only."""
    scratch = tmp_path_factory.mktemp("ops-auth")
    supergraph = scratch / "supergraph.graphql"
    supergraph.write_text(federation.supergraph_sdl)
    auth = AuthSettings(
        jwks=str(issuer.jwks_file(scratch)), issuer=TEST_ISSUER, audience=TEST_AUDIENCE
    )
    settings = GatewaySettings(reload_interval=0, auth=auth)
    with serve(create_gateway_app(supergraph, settings, routes=ops_routes())) as url:
        yield url


def open_ops(page: Page, gateway_url: str) -> PageProblems:
    problems = PageProblems().watch(page)
    page.goto(f"{gateway_url}/ops")
    page.wait_for_selector("#live:has-text('live,')", timeout=WAIT_MS)
    return problems


def canvas_has_ink(page: Page, chart: str) -> bool:
    """Whether uPlot drew anything on the chart's canvas (some pixel is not transparent)."""
    return bool(
        page.evaluate(
            """(id) => {
              const canvas = document.querySelector(`#${id} canvas`);
              const { width, height } = canvas;
              const pixels = canvas.getContext("2d").getImageData(0, 0, width, height);
              return pixels.data.some((value, i) => i % 4 === 3 && value !== 0);
            }""",
            chart,
        )
    )


def test_the_page_draws_the_charts_and_the_list_with_no_failed_request(
    page: Page, gateway_url: str, federation: BamFederation
) -> None:
    problems = open_ops(page, gateway_url)
    cycle = page.locator("#cycle-chart")
    # Three hourly buckets of two stages; two kinds of fallout over two buckets.
    assert cycle.get_attribute("data-points") == "3"
    assert cycle.get_attribute("data-series") == "2"
    assert page.locator("#cycle-chart canvas").count() == 1
    assert "submitted → released" in cycle.inner_text()
    assert canvas_has_ink(page, "cycle-chart")
    fallout = page.locator("#fallout-chart")
    assert fallout.get_attribute("data-points") == "2"
    assert fallout.get_attribute("data-series") == "2"
    assert canvas_has_ink(page, "fallout-chart")
    assert page.locator("#fallout tbody tr").all_inner_texts() == [
        "credit hold\tover credit limit\t2\t12.5 %"
    ]
    row = page.locator("#at-risk tr[data-order-id='o-1001']")
    assert row.locator("td").nth(0).inner_text() == "SO-1001"  # resolved by the other subgraph
    assert row.locator("td").nth(1).inner_text() == "RELEASED"
    assert row.locator("td").nth(2).inner_text() == "STUCK_IN_STAGE"
    assert row.locator("td").nth(4).inner_text() == "2026-12-24"
    assert "threshold is 24 h" in row.inner_text()
    assert problems.lines == []


def test_the_list_follows_the_subscription(
    page: Page, gateway_url: str, federation: BamFederation
) -> None:
    problems = open_ops(page, gateway_url)
    federation.board.set_at_risk([LATE, STUCK])
    added = page.locator("#at-risk tr[data-order-id='o-2002']")
    added.wait_for(timeout=WAIT_MS)
    assert added.get_attribute("class") == "added"
    assert page.locator("#at-risk-count").inner_text() == "(2)"
    assert page.locator("#at-risk tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.orderId)"
    ) == ["o-2002", "o-1001"]
    # An order that is no longer at risk leaves the list.
    federation.board.set_at_risk([LATE])
    page.locator("#at-risk tr[data-order-id='o-1001']").wait_for(state="detached", timeout=WAIT_MS)
    federation.board.set_at_risk([])
    page.locator("#at-risk tr.empty").wait_for(timeout=WAIT_MS)
    assert page.locator("#at-risk-count").inner_text() == "(0)"
    federation.board.set_at_risk([STUCK])
    page.locator("#at-risk tr[data-order-id='o-1001']").wait_for(timeout=WAIT_MS)
    assert problems.lines == []


def test_an_order_links_to_graphiql_opened_on_its_query(
    page: Page, gateway_url: str, federation: BamFederation
) -> None:
    problems = open_ops(page, gateway_url)
    link = page.locator("#at-risk tr[data-order-id='o-1001'] a")
    href = link.get_attribute("href")
    assert href is not None and href.startswith("/graphql#query=")
    assert 'order(id: "o-1001")' in unquote(href.removeprefix("/graphql#query="))
    link.click()
    page.wait_for_url(f"{gateway_url}/graphql#query=*", timeout=WAIT_MS)
    editor = page.locator(".graphiql-query-editor")
    editor.wait_for(timeout=WAIT_MS)
    page.wait_for_function(
        """() => {
          const cm = document.querySelector(".graphiql-query-editor .CodeMirror");
          return cm && cm.CodeMirror.getValue().includes('order(id: "o-1001")');
        }""",
        timeout=WAIT_MS,
    )
    # GraphiQL's page has no icon: the browser's own ask for one is not the page's doing.
    assert [line for line in problems.lines if not line.endswith("/favicon.ico)")] == []


def test_the_token_is_kept_for_the_tab_and_sent_on_both_transports(
    page: Page, gateway_url: str, federation: BamFederation
) -> None:
    problems = open_ops(page, gateway_url)
    inits: list[object] = []
    headers: list[str | None] = []

    def on_socket(socket: WebSocket) -> None:
        def sent(payload: str | bytes) -> None:
            message = json.loads(payload)
            if message.get("type") == "connection_init":
                inits.append(message.get("payload"))

        socket.on("framesent", sent)

    page.on("websocket", on_socket)
    page.on(
        "request",
        lambda r: headers.append(r.headers.get("authorization")) if r.method == "POST" else None,
    )
    with (
        page.expect_websocket() as opened,
        page.expect_request(lambda r: r.method == "POST" and r.url.endswith("/graphql")),
    ):
        page.fill("#token", "t0ken")
        page.locator("#token").dispatch_event("change")
    # The ack comes after the init the listener above recorded.
    opened.value.wait_for_event(
        "framereceived", lambda payload: "connection_ack" in str(payload), timeout=WAIT_MS
    )
    assert page.evaluate("sessionStorage.getItem('crossdock.ops.token')") == "t0ken"
    assert {"Authorization": "Bearer t0ken"} in inits
    assert "Bearer t0ken" in headers
    # A reload of the tab keeps it (once the page is done: a reload aborts what is in flight);
    # another tab does not have it.
    page.wait_for_selector("#status:has-text('Updated')", timeout=WAIT_MS)
    page.reload()
    page.wait_for_selector("#live:has-text('live,')", timeout=WAIT_MS)
    assert page.input_value("#token") == "t0ken"
    other = page.context.new_page()
    other.goto(f"{gateway_url}/ops")
    assert other.input_value("#token") == ""
    other.close()
    assert problems.lines == []


def test_the_page_and_its_files_come_from_the_gateway_with_a_strict_policy(
    gateway_url: str,
) -> None:
    page = httpx.get(f"{gateway_url}/ops")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    for src in ("/ops/assets/uPlot-1.6.32.iife.min.js", "/ops/assets/ops.js"):
        assert f'src="{src}"' in page.text
    vendored = httpx.get(f"{gateway_url}/ops/assets/uPlot-1.6.32.iife.min.js")
    assert vendored.status_code == 200
    assert vendored.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert vendored.text.startswith("/*! https://github.com/leeoniya/uPlot (v1.6.32) */")
    assert httpx.get(f"{gateway_url}/ops/assets/ops.js").headers["cache-control"] == "no-cache"
    for missing in ("/ops/assets/../_routes.py", "/ops/assets/nope.js", "/ops/assets/ops.html"):
        assert httpx.get(f"{gateway_url}{missing}").status_code == 404


def test_static_files_are_in_the_package() -> None:
    """What the page loads ships inside the ``crossdock`` package (and so in its wheel)."""
    static = Path(__import__("crossdock.ops_page").ops_page.__file__).parent / "static"
    for name in ("ops.html", "ops.js", "ops.css", "uPlot-1.6.32.iife.min.js", "uPlot-LICENSE"):
        assert (static / name).is_file()


def test_with_auth_on_the_page_says_what_is_missing_until_given_a_staff_token(
    page: Page, auth_gateway_url: str, federation: BamFederation, issuer: TestIssuer
) -> None:
    problems = PageProblems().watch(page)
    page.goto(f"{auth_gateway_url}/ops")
    page.wait_for_selector("#status.error", timeout=WAIT_MS)
    assert "UNAUTHORIZED_FIELD_OR_TYPE" in page.inner_text("#status")
    page.wait_for_selector("#live:has-text('not live')", timeout=WAIT_MS)
    assert page.locator("#at-risk tr[data-order-id]").count() == 0
    # A customer's token is not enough either.
    page.fill("#token", issuer.token(scope="orders:read", account_id="001CD0000000348AAA"))
    page.locator("#token").dispatch_event("change")
    page.wait_for_selector("#live:has-text('not live')", timeout=WAIT_MS)
    assert page.locator("#at-risk tr[data-order-id]").count() == 0
    # A staff token: the charts, and the list, live.
    page.fill("#token", issuer.token(scope="staff"))
    page.locator("#token").dispatch_event("change")
    page.wait_for_selector("#live:has-text('live,')", timeout=WAIT_MS)
    page.wait_for_selector("#status:has-text('Updated')", timeout=WAIT_MS)
    page.locator("#at-risk tr[data-order-id='o-1001']").wait_for(timeout=WAIT_MS)
    assert page.locator("#cycle-chart").get_attribute("data-points") == "3"
    assert problems.lines == []
