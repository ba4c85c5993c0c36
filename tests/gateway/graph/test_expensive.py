"""The measured attack, admitted: a small query nesting ``account { cases { account { … } } }``
seven levels asks for about 8^7 cases. Whatever a gateway admits, its deadline bounds it and
its client's leaving stops it: the CRM subgraph stops working on it, and everyone else is
answered meanwhile.

The distribution graph over the reference systems, with a CRM subgraph of the test's own
(wrapped in a :class:`LoopProbe`, so the test sees the requests it is still serving) and a
gateway whose requests have a short deadline.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from crossdock.settings import Settings
from gateway.demand import DemandSettings
from gateway.server import GatewaySettings, RequestSettings, create_gateway_app
from subgraphs.apps import create_subgraph_app
from tests.gateway.graph.conftest import graph_supergraph
from tests.support.loops import LoopProbe
from tests.support.servers import serve
from tests.support.transports import hang_up
from tests.support.waiting import wait_until

# Short, so that the attack's work (minutes of it) is cut early.
DEADLINE = 3.0
# What the CRM subgraph may take to notice the gateway let go and unwind what it was doing.
UNWIND = 10.0
# What another query may take while the attack has the CRM subgraph's CPU (all of it that
# the loop lets it have): slower, but answered, long before the attack would end (minutes).
MEANWHILE = 15.0
# An account with eight cases: eight to the seventh cases, each with its account again.
ACCOUNT = "001CD0000000348AAA"
ATTACK = (
    "query Attack($id: ID!) { account(id: $id) { "
    + "cases { account { " * 6
    + "cases { subject }"
    + " } }" * 6
    + " } }"
)
ORDER = '{ orderByNumber(number: "SO-100100") { number account { name } lines { quantity } } }'
ACCOUNT_NAME = '{ account(id: "001CD0000000448AAA") { name } }'


@dataclass(frozen=True)
class Served:
    gateway: str  # requests have DEADLINE
    patient: str  # requests have the default deadline, far beyond UNWIND
    crm: LoopProbe


@pytest.fixture(scope="module")
def served(
    settings: Settings, subgraph_urls: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    crm = LoopProbe(create_subgraph_app("crm", settings.subgraphs))
    with serve(crm) as crm_url:
        path = tmp_path_factory.mktemp("expensive") / "supergraph.graphql"
        path.write_text(graph_supergraph(settings, {**subgraph_urls, "crm": crm_url}))
        # Demand control would refuse the attack before any fetch: measured only, it is
        # admitted, and what is tested here is what bounds an admitted request.
        admit = DemandSettings(mode="measure")
        short = GatewaySettings(
            reload_interval=0, requests=RequestSettings(timeout=DEADLINE), demand=admit
        )
        patient = GatewaySettings(reload_interval=0, demand=admit)
        with (
            serve(create_gateway_app(path, short)) as url,
            serve(create_gateway_app(path, patient)) as patient_url,
        ):
            yield Served(url, patient_url, crm)


def post(url: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    response = httpx.post(
        f"{url}/graphql", json={"query": query, "variables": variables or {}}, timeout=60
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def answered_meanwhile(served: Served) -> None:
    """While the attack runs, the others' queries (the CRM's included) are answered (by the
    gateway with the default deadline: under the attack they may take longer than 3 s)."""
    for query in (ORDER, ACCOUNT_NAME):
        started = time.monotonic()
        body = post(served.patient, query)
        assert "errors" not in body, body
        assert time.monotonic() - started < MEANWHILE


def test_the_attack_is_cut_at_its_deadline(served: Served) -> None:
    assert "errors" not in post(served.gateway, ACCOUNT_NAME)  # the CRM subgraph is warm
    before = served.crm.started()
    with ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        attack = pool.submit(post, served.gateway, ATTACK, {"id": ACCOUNT})
        wait_until(lambda: served.crm.started() > before, what="the attack reaching the CRM")
        answered_meanwhile(served)
        body = attack.result()
        took = time.monotonic() - started
    assert body["data"] == {"account": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["GATEWAY_TIMEOUT"] * 2
    assert body["errors"][0]["path"] == ["account"]
    assert DEADLINE <= took < DEADLINE + UNWIND
    # The CRM subgraph saw the gateway let go, and stopped.
    wait_until(lambda: served.crm.serving() == 0, timeout=UNWIND, what="the CRM subgraph idle")
    answered_meanwhile(served)


def test_the_attack_stops_when_its_client_leaves(served: Served) -> None:
    assert GatewaySettings().requests.timeout == 30.0
    before = served.crm.started()
    with hang_up("post", served.patient, ATTACK, {"id": ACCOUNT}) as leave:
        wait_until(lambda: served.crm.started() > before, what="the attack reaching the CRM")
        answered_meanwhile(served)
        leave()
        left = time.monotonic()
    # Long before its 30 s deadline would have cut it: the client's leaving did.
    wait_until(lambda: served.crm.serving() == 0, timeout=UNWIND, what="the CRM subgraph idle")
    assert time.monotonic() - left < UNWIND
    answered_meanwhile(served)
