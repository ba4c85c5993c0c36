"""CORS as a browser speaks it: the preflight a portal's ``fetch`` sends first, the headers on
the answers it may read, and settings a browser would refuse, caught at start."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from pydantic import ValidationError

from crossdock.cli import main
from gateway.server import GatewaySettings
from gateway.server._browsers import BrowserSettings
from tests.gateway.front_door import SOON, serving
from tests.gateway.subscription_federation import Federation, running_federation

PORTAL = "https://portal.example"
QUERY = {"query": "{ lastSeq }"}


@pytest.fixture(scope="module")
def federation() -> Iterator[Federation]:
    with running_federation() as fed:
        yield fed


@contextmanager
def gateway(federation: Federation, **browsers: object) -> Iterator[httpx.Client]:
    """A client of a gateway whose ``BrowserSettings`` are ``browsers``."""
    settings = GatewaySettings(reload_interval=0, browsers=BrowserSettings(**browsers))
    with serving(federation, settings) as url, httpx.Client(base_url=url, timeout=SOON) as client:
        yield client


@pytest.fixture(scope="module")
def client(federation: Federation) -> Iterator[httpx.Client]:
    with gateway(federation, allow_origins=[PORTAL], max_age=900) as client:
        yield client


def preflight(
    client: httpx.Client, origin: str, method: str = "POST", headers: str | None = None
) -> httpx.Response:
    """What a browser sends before ``fetch(url, {method, headers})`` from a page of ``origin``."""
    asked = {"origin": origin, "access-control-request-method": method}
    if headers is not None:
        asked["access-control-request-headers"] = headers
    return client.options("/graphql", headers=asked)


def varies_on_origin(response: httpx.Response) -> bool:
    return "origin" in [v.strip().lower() for v in response.headers.get("vary", "").split(",")]


def test_a_portals_preflight_is_answered(client: httpx.Client) -> None:
    response = preflight(client, PORTAL, headers="content-type,apollo-require-preflight")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == PORTAL
    assert {"GET", "POST"} <= {
        m.strip() for m in response.headers["access-control-allow-methods"].split(",")
    }
    # Whatever the page asks for is allowed (the default "*"), as Apollo Router mirrors it.
    assert (
        response.headers["access-control-allow-headers"] == "content-type,apollo-require-preflight"
    )
    assert response.headers["access-control-max-age"] == "900"
    assert "access-control-allow-credentials" not in response.headers
    assert varies_on_origin(response)


def test_then_its_request_may_be_read(client: httpx.Client) -> None:
    response = client.post("/graphql", json=QUERY, headers={"origin": PORTAL})
    assert response.json() == {"data": {"lastSeq": 0}}
    assert response.headers["access-control-allow-origin"] == PORTAL
    assert response.headers["access-control-expose-headers"] == "Retry-After"
    assert varies_on_origin(response)


def test_a_foreign_preflight_is_refused_with_a_coded_error(client: httpx.Client) -> None:
    response = preflight(client, "http://evil.example", headers="content-type")
    assert response.status_code == 403
    assert "access-control-allow-origin" not in response.headers
    assert response.json()["errors"][0]["extensions"] == {"code": "ORIGIN_NOT_ALLOWED"}
    assert varies_on_origin(response)


def test_a_method_not_allowed_is_refused(client: httpx.Client) -> None:
    response = preflight(client, PORTAL, method="DELETE")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "CORS_PREFLIGHT_REFUSED"}
    assert "method" in error["message"] and "DELETE" in error["message"]


def test_answers_to_other_origins_carry_no_permission(client: httpx.Client) -> None:
    foreign = client.post("/graphql", json=QUERY, headers={"origin": "http://evil.example"})
    assert "access-control-allow-origin" not in foreign.headers
    # A cache must not hand the portal's answer to another origin, nor this one to the portal.
    assert varies_on_origin(foreign)
    assert varies_on_origin(client.post("/graphql", json=QUERY))


def test_refusals_are_readable_by_an_allowed_page(client: httpx.Client) -> None:
    refused = client.get("/graphql", params=QUERY, headers={"origin": PORTAL})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["extensions"]["code"] == "CSRF_ERROR"
    assert refused.headers["access-control-allow-origin"] == PORTAL


def test_a_plain_options_is_still_a_json_405(client: httpx.Client) -> None:
    response = client.options("/graphql")
    assert response.status_code == 405
    assert response.json()["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}


def test_credentials_echo_the_origin(federation: Federation) -> None:
    with gateway(federation, allow_origins=[PORTAL], allow_credentials=True) as client:
        response = preflight(client, PORTAL)
        assert response.headers["access-control-allow-origin"] == PORTAL
        assert response.headers["access-control-allow-credentials"] == "true"
        answer = client.post("/graphql", json=QUERY, headers={"origin": PORTAL})
        assert answer.headers["access-control-allow-credentials"] == "true"


def test_any_origin_without_credentials_is_a_wildcard(federation: Federation) -> None:
    with gateway(federation, allow_origins=["*"], allow_headers=["content-type"]) as client:
        response = preflight(client, "https://anyone.example", headers="content-type")
        assert response.headers["access-control-allow-origin"] == "*"
        refused = preflight(client, "https://anyone.example", headers="x-secret")
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["extensions"] == {"code": "CORS_PREFLIGHT_REFUSED"}


def test_configured_origins_are_read_as_browsers_send_them(federation: Federation) -> None:
    with gateway(federation, allow_origins=["HTTPS://Portal.Example:443"]) as client:
        response = preflight(client, PORTAL)
        assert response.headers["access-control-allow-origin"] == PORTAL


@pytest.mark.parametrize(
    ("browsers", "problem"),
    [
        ({"allow_origins": ["*"], "allow_credentials": True}, "allow_credentials"),
        ({"expose_headers": ["*"], "allow_credentials": True}, "expose_headers"),
        ({"allow_origins": ["https://portal.example/"]}, "not an origin"),
        ({"allow_origins": ["portal.example"]}, "not an origin"),
        ({"allow_origin_regex": "https://(.example"}, "not a regular expression"),
    ],
    ids=["credentials-wildcard", "credentials-expose-all", "slash", "no-scheme", "regex"],
)
def test_settings_a_browser_would_refuse_fail_at_start(
    browsers: dict[str, object], problem: str
) -> None:
    with pytest.raises(ValidationError, match=problem):
        BrowserSettings(**browsers)


def test_the_command_line_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CROSSDOCK_GATEWAY__BROWSERS__ALLOW_ORIGINS", '["*"]')
    monkeypatch.setenv("CROSSDOCK_GATEWAY__BROWSERS__ALLOW_CREDENTIALS", "true")
    assert main(["gateway", "--supergraph", "unused.graphql"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("crossdock: invalid configuration: gateway.browsers")
    assert 'allow_credentials cannot be used with allow_origins ["*"]' in err
