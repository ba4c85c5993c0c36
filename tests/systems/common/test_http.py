"""create_rest_app: health, request stats, runtime faults, shutdown callbacks."""

from __future__ import annotations

import time

import httpx
import pytest
from starlette.applications import Starlette

from crossdock.settings import FaultSettings
from systems.common import create_rest_app
from tests.support.servers import serve
from tests.support.waiting import wait_until
from tests.systems.common.sample_app import build_app


def test_health(client: httpx.Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "system": "crm"}


def stats(client: httpx.Client) -> dict[str, object]:
    response = client.get("/_admin/stats")
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


def test_stats_count_by_route_template(client: httpx.Client) -> None:
    assert stats(client) == {"total": 0, "requests": {}}
    client.get("/accounts")
    client.get("/accounts", params={"ids": "a1,a2"})
    client.get("/accounts/a1")
    client.get("/accounts/zz")
    client.get("/nope")
    client.post("/accounts")
    assert stats(client) == {
        "total": 6,
        "requests": {
            "GET /accounts": 2,
            "GET /accounts/{id}": 2,
            "GET /nope": 1,
            "POST /accounts": 1,
        },
    }


def test_admin_and_health_are_not_counted(client: httpx.Client) -> None:
    client.get("/health")
    client.get("/_admin/faults")
    client.get("/_admin/stats")
    client.put("/_admin/faults", json={})
    assert stats(client) == {"total": 0, "requests": {}}


def test_stats_reset(client: httpx.Client) -> None:
    client.get("/accounts/a1")
    response = client.post("/_admin/stats/reset")
    assert response.status_code == 200
    assert response.json() == {"total": 0, "requests": {}}
    client.get("/accounts")
    assert stats(client) == {"total": 1, "requests": {"GET /accounts": 1}}


def test_stats_live_on_app_state(app: Starlette, client: httpx.Client) -> None:
    client.get("/accounts/a2")
    assert app.state.stats.count("GET /accounts/{id}") == 1


def put_faults(client: httpx.Client, **faults: object) -> httpx.Response:
    return client.put("/_admin/faults", json=faults)


def test_faults_start_from_the_given_settings() -> None:
    app = build_app(FaultSettings(latency_ms=5, error_rate=0.25))
    with serve(app) as url:
        body = httpx.get(f"{url}/_admin/faults").json()
    assert body == {
        "latency_ms": 5,
        "error_rate": 0.25,
        "rate_limit_per_second": None,
        "routes": None,
    }


def test_error_rate_one_answers_503_then_back_to_normal(
    app: Starlette, client: httpx.Client
) -> None:
    response = put_faults(client, error_rate=1)
    assert response.status_code == 200
    assert response.json()["error_rate"] == 1.0
    assert app.state.faults.error_rate == 1.0

    response = client.get("/accounts/a1")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "UNAVAILABLE"
    # Health and admin are never faulted.
    assert client.get("/health").status_code == 200
    assert client.get("/_admin/faults").json()["error_rate"] == 1.0
    # A faulted request still reached the system: it is counted.
    assert stats(client)["requests"] == {"GET /accounts/{id}": 1}

    assert put_faults(client).json() == FaultSettings().model_dump(mode="json")
    assert client.get("/accounts/a1").status_code == 200


def test_rate_limit_answers_429_with_retry_after(client: httpx.Client) -> None:
    # Burst of one, then one token every 100 s: the second request is refused.
    assert put_faults(client, rate_limit_per_second=0.01).status_code == 200
    assert client.get("/accounts").status_code == 200
    response = client.get("/accounts")
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "RATE_LIMITED"
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= 100
    assert client.get("/health").status_code == 200

    put_faults(client)
    assert [client.get("/accounts").status_code for _ in range(5)] == [200] * 5


def test_latency_is_added(client: httpx.Client) -> None:
    put_faults(client, latency_ms=150)
    started = time.perf_counter()
    response = client.get("/accounts/a1")
    elapsed = time.perf_counter() - started
    assert response.status_code == 200
    assert elapsed >= 0.150


def test_faults_replaced_on_app_state_take_effect(app: Starlette, client: httpx.Client) -> None:
    app.state.faults = FaultSettings(error_rate=1.0)
    assert client.get("/accounts").status_code == 503
    app.state.faults = FaultSettings()
    assert client.get("/accounts").status_code == 200


@pytest.mark.parametrize(
    ("content", "word"),
    [
        (b"not json", "JSON object"),
        (b"[1, 2]", "JSON object"),
        (b'{"error_rat": 0.5}', "error_rat"),
        (b'{"error_rate": 2}', "error_rate"),
        (b'{"latency_ms": -1}', "latency_ms"),
        (b'{"rate_limit_per_second": 0}', "rate_limit_per_second"),
        (b'{"latency_ms": "slow"}', "latency_ms"),
    ],
)
def test_invalid_faults_body(client: httpx.Client, content: bytes, word: str) -> None:
    put_faults(client, latency_ms=7)
    response = client.put("/_admin/faults", content=content)
    assert response.status_code == 422
    body = response.json()
    assert body["error"]["code"] == "INVALID_PARAMETER"
    assert word in body["error"]["message"]
    # Nothing changed.
    assert client.get("/_admin/faults").json()["latency_ms"] == 7


def test_shutdown_callbacks_run_when_the_server_stops() -> None:
    calls: list[str] = []

    async def close_async() -> None:
        calls.append("async")

    def fail() -> None:
        raise RuntimeError("one failing callback does not stop the others")

    app = create_rest_app(
        "wms",
        [],
        FaultSettings(),
        on_shutdown=[lambda: calls.append("sync"), fail, close_async],
    )
    with serve(app) as url:
        assert httpx.get(f"{url}/health").json() == {"status": "ok", "system": "wms"}
        assert calls == []
    assert calls == ["sync", "async"]


def test_faults_scoped_to_routes_over_http(client: httpx.Client) -> None:
    response = put_faults(client, error_rate=1, routes=["GET /accounts/{id}"])
    assert response.status_code == 200
    assert response.json()["routes"] == ["GET /accounts/{id}"]
    # The route template is matched, whatever the id; other routes and methods answer.
    assert client.get("/accounts/a1").status_code == 503
    assert client.get("/accounts/zzz").status_code == 503
    assert client.get("/accounts").status_code == 200
    assert client.post("/contacts", json={"account_id": "a1", "email": "a@b.c"}).status_code == 201
    # Faulted or not, every request is counted by the same key the routes name.
    assert stats(client)["requests"] == {
        "GET /accounts/{id}": 2,
        "GET /accounts": 1,
        "POST /contacts": 1,
    }

    put_faults(client, latency_ms=150, routes=["POST /contacts"])
    started = time.perf_counter()
    assert client.get("/accounts/a1").status_code == 200
    assert time.perf_counter() - started < 0.150

    assert put_faults(client).json()["routes"] is None
    assert client.get("/accounts/a1").status_code == 200


def test_invalid_routes_are_refused(client: httpx.Client) -> None:
    response = client.put("/_admin/faults", json={"routes": "GET /accounts"})
    assert response.status_code == 422
    assert "routes" in response.json()["error"]["message"]


def test_a_slow_write_the_caller_gave_up_on_is_still_made(
    app: Starlette, client: httpx.Client
) -> None:
    """Latency holds the request, not the work: like a slow backend, the system carries out
    a write whose caller timed out (so the caller cannot tell whether it was made)."""
    put_faults(client, latency_ms=300, routes=["POST /notes"])
    with pytest.raises(httpx.TimeoutException):
        client.post("/notes", content=b"x" * 100_000, timeout=0.05)
    wait_until(lambda: app.state.notes == ["x" * 100_000], what="the slow write landed")
