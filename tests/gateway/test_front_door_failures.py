"""A control of the front door that fails unexpectedly costs the client an ``INTERNAL`` error
on every transport, never a bare 500 or a silent WebSocket, and the gateway goes on serving."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from gateway.documents import DocumentResolver
from gateway.engine import Gateway
from gateway.server import GatewaySettings, create_app
from gateway.server._rate_limit import RateLimiter
from tests.gateway.documents.transports import TRANSPORTS, Observed
from tests.gateway.subscription_federation import Federation, running_federation
from tests.support.servers import serve

ORDER = "query Order($id: ID!) { order(id: $id) { id total } }"


@pytest.fixture(scope="module")
def federation() -> Iterator[Federation]:
    with running_federation() as fed:
        yield fed


async def _broken(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("a bug in a control")


@pytest.mark.parametrize("control", ["rate_limiter", "documents"])
@pytest.mark.parametrize("send", TRANSPORTS.values(), ids=TRANSPORTS.keys())
def test_a_control_that_fails_is_an_internal_error(
    federation: Federation,
    monkeypatch: pytest.MonkeyPatch,
    control: str,
    send: Any,
) -> None:
    # Fault injection: the real controls have no such bug left to trigger from outside.
    if control == "rate_limiter":
        monkeypatch.setattr(RateLimiter, "check_http", _broken)
        monkeypatch.setattr(RateLimiter, "check_subscribe", _broken)
    else:
        monkeypatch.setattr(DocumentResolver, "resolve", _broken)
    app = create_app(Gateway(federation.supergraph), GatewaySettings(reload_interval=0))
    with serve(app) as url:
        answer: Observed = send(url, {"query": ORDER, "variables": {"id": "o-1"}})
        monkeypatch.undo()
        after: Observed = send(url, {"query": ORDER, "variables": {"id": "o-1"}})
    assert answer.status in (101, 200)
    assert answer.codes == ["INTERNAL"]
    assert "a bug" not in str(answer.responses)
    assert after.data == {"order": {"id": "o-1", "total": 100}}
