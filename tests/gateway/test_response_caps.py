"""The size caps: of the client's response (every transport), and of a subgraph's response,
however its body is framed, as a client sees them."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from gateway.engine import Gateway
from gateway.executor import SubgraphTransport
from gateway.server import GatewaySettings, RequestSettings, create_app
from tests.gateway.subscription_federation import Federation, running_federation
from tests.support.servers import serve
from tests.support.transports import PATIENCE, TRANSPORTS, ask
from tests.support.waiting import wait_until

MAX_RESPONSE_BYTES = 2_000
# Introspection answers several kilobytes; the milestone query well under a hundred bytes.
LARGE = "{ __schema { types { name description } } }"
LATEST = '{ latest(orderId: "o-7") { seq order { id total } } }'


@pytest.fixture(scope="module")
def federation() -> Iterator[Federation]:
    with running_federation() as fed:
        yield fed


@pytest.fixture(autouse=True)
def doors(federation: Federation) -> Iterator[None]:
    federation.ledger.reset()
    yield
    federation.ledger.reset()


@pytest.fixture(scope="module")
def gateway_url(federation: Federation) -> Iterator[str]:
    settings = GatewaySettings(
        reload_interval=0,
        requests=RequestSettings(max_response_bytes=MAX_RESPONSE_BYTES),
        subgraph_max_response_bytes=1 << 20,
    )
    engine = Gateway(federation.supergraph, transport=SubgraphTransport(settings.transport()))
    with serve(create_app(engine, settings)) as url:
        yield url


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_response_over_the_limit_is_replaced_by_an_error(
    gateway_url: str, transport: str
) -> None:
    assert ask(transport, gateway_url, LATEST) == {
        "data": {"latest": {"seq": 0, "order": {"id": "o-7", "total": 700}}}
    }
    assert ask(transport, gateway_url, LARGE) == {
        "data": None,
        "errors": [
            {
                "message": (
                    f"The response is larger than the gateway's limit of {MAX_RESPONSE_BYTES} "
                    "bytes; ask for fewer fields or a smaller page."
                ),
                "extensions": {"code": "RESPONSE_TOO_LARGE", "maxBytes": MAX_RESPONSE_BYTES},
            }
        ],
    }


def test_without_a_limit_the_large_response_is_served(federation: Federation) -> None:
    settings = GatewaySettings(reload_interval=0, requests=RequestSettings(max_response_bytes=None))
    with serve(create_app(Gateway(federation.supergraph), settings)) as url:
        response = ask("post", url, LARGE)
    assert "errors" not in response
    assert len(response["data"]["__schema"]["types"]) > 10


def test_a_subgraph_body_that_never_ends_fails_only_its_fetch(
    federation: Federation, gateway_url: str
) -> None:
    # The ledger answers 200 and streams a chunked body until the gateway hangs up: the cap
    # holds as the body arrives, so the fetch fails after a megabyte, not at the deadline.
    federation.ledger.http_flood = True
    started = time.monotonic()
    response = ask("post", gateway_url, LATEST)
    assert time.monotonic() - started < PATIENCE
    assert response == {
        "errors": [
            {
                "message": "HTTP fetch failed from 'ledger': ResponseTooLarge",
                "path": ["latest", "order"],
                "extensions": {"code": "SUBGRAPH_ERROR", "serviceName": "ledger"},
            }
        ],
        "data": {"latest": {"seq": 0, "order": {"id": "o-7", "total": None}}},
    }
    wait_until(lambda: federation.ledger.abandoned() == 1, what="the flood cut off")
