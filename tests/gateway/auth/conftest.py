"""A real gateway with auth on over a real federation (``subscription_federation``), its keys
served as a JWKS over loopback HTTP by a :class:`TestIssuer`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gateway.auth import AuthSettings
from gateway.engine import Gateway
from gateway.server import GatewaySettings, create_app
from tests.gateway.subscription_federation import Federation, running_federation
from tests.support.servers import serve
from tests.support.tokens import TEST_AUDIENCE, TEST_ISSUER, TestIssuer


@pytest.fixture(scope="module")
def federation() -> Iterator[Federation]:
    with running_federation() as fed:
        yield fed


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture(scope="module")
def jwks_url(issuer: TestIssuer) -> Iterator[str]:
    with issuer.serve_jwks() as url:
        yield url


def auth_settings(jwks: str, **overrides: object) -> GatewaySettings:
    values: dict[str, object] = {"leeway": 1.0, "jwks_min_refresh_interval": 0, **overrides}
    auth = AuthSettings(jwks=jwks, issuer=TEST_ISSUER, audience=TEST_AUDIENCE, **values)
    return GatewaySettings(reload_interval=0, sse_keepalive_interval=0.2, auth=auth)


@pytest.fixture
def gateway_url(federation: Federation, jwks_url: str) -> Iterator[str]:
    """A gateway with auth on; the federation's doors forget what they saw before."""
    federation.events.reset()
    federation.ledger.reset()
    with serve(create_app(Gateway(federation.supergraph), auth_settings(jwks_url))) as url:
        yield url


@pytest.fixture
def open_gateway_url(federation: Federation) -> Iterator[str]:
    """A gateway with auth off (as ``crossdock up`` by default)."""
    federation.events.reset()
    federation.ledger.reset()
    settings = GatewaySettings(reload_interval=0, sse_keepalive_interval=0.2)
    with serve(create_app(Gateway(federation.supergraph), settings)) as url:
        yield url
