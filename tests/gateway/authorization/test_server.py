"""``crossdock gateway`` with the auth settings: the Apollo-composed supergraph served over
HTTP with its directives enforced, and the start-up rules (auth off with directives: one
warning, or in production a one-line refusal; a policy hook that does not load: one line)."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from gateway.auth import AuthSettings
from gateway.authorization import AuthorizationSetupError
from gateway.documents import PersistedQuerySettings
from gateway.server import GatewaySettings, create_gateway_app
from tests.gateway.authorization.conftest import APOLLO
from tests.gateway.conftest import Running, supergraph_with_urls
from tests.gateway.documents.conftest import apollo_manifest
from tests.support.servers import serve
from tests.support.tokens import TEST_AUDIENCE, TEST_ISSUER, TestIssuer

ROOT = Path(__file__).resolve().parents[3]
QUERY = '{ public me { name } user(id: "u1") { name secret } }'


@pytest.fixture
def supergraph_path(graph: Running, tmp_path: Path) -> Path:
    _, urls = graph
    source = (APOLLO / "directives" / "supergraph.graphql").read_text()
    path = tmp_path / "supergraph.graphql"
    path.write_text(supergraph_with_urls(source, urls))
    return path


def auth(jwks_path: Path, **options: object) -> AuthSettings:
    return AuthSettings(jwks=str(jwks_path), issuer=TEST_ISSUER, audience=TEST_AUDIENCE, **options)


def test_the_gateway_enforces_the_directives_over_http(
    supergraph_path: Path, jwks_path: Path
) -> None:
    settings = GatewaySettings(reload_interval=0, auth=auth(jwks_path))
    with serve(create_gateway_app(supergraph_path, settings)) as url:
        response = httpx.post(f"{url}/graphql", json={"query": QUERY}, timeout=30)
    assert response.status_code == 200
    assert response.json() == {
        "errors": [
            {
                "message": "Unauthorized field or type",
                "path": path,
                "extensions": {"code": "UNAUTHORIZED_FIELD_OR_TYPE"},
            }
            for path in (["me"], ["user", "secret"])
        ],
        "data": {"public": "hello", "me": None, "user": {"name": "Ada", "secret": None}},
    }


def test_a_bearer_token_sees_what_its_scopes_allow_over_http(
    supergraph_path: Path, jwks_path: Path, issuer: TestIssuer
) -> None:
    settings = GatewaySettings(reload_interval=0, auth=auth(jwks_path))
    token = issuer.token(scope="secret")
    with serve(create_gateway_app(supergraph_path, settings)) as url:
        response = httpx.post(
            f"{url}/graphql",
            json={"query": QUERY},
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )
    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "public": "hello",
            "me": {"name": "Ada"},
            "user": {"name": "Ada", "secret": "s3cr3t"},
        }
    }


def test_reject_mode_over_http(supergraph_path: Path, jwks_path: Path) -> None:
    settings = GatewaySettings(reload_interval=0, auth=auth(jwks_path, unauthorized="reject"))
    with serve(create_gateway_app(supergraph_path, settings)) as url:
        body = httpx.post(f"{url}/graphql", json={"query": QUERY}, timeout=30).json()
    assert body["data"] is None
    assert [e["path"] for e in body["errors"]] == [["me"], ["user", "secret"]]


def test_auth_off_serves_the_directives_unenforced_with_one_warning(
    supergraph_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="gateway.authorization"):
        app = create_gateway_app(supergraph_path, GatewaySettings(reload_interval=0))
    warnings = [r for r in caplog.records if r.name == "gateway.authorization"]
    assert len(warnings) == 1
    assert "@authenticated, @policy, @requiresScopes are not enforced" in warnings[0].getMessage()
    with serve(app) as url:
        body = httpx.post(f"{url}/graphql", json={"query": QUERY}, timeout=30).json()
    assert body == {
        "data": {
            "public": "hello",
            "me": {"name": "Ada"},
            "user": {"name": "Ada", "secret": "s3cr3t"},
        }
    }


def test_production_with_auth_off_refuses_to_start(supergraph_path: Path, tmp_path: Path) -> None:
    manifest = apollo_manifest(tmp_path / "manifest.json", {"Q": "query Q { public }"})
    settings = GatewaySettings(
        reload_interval=0,
        production=True,
        persisted_queries=PersistedQuerySettings(manifest=manifest),
    )
    with pytest.raises(AuthorizationSetupError) as raised:
        create_gateway_app(supergraph_path, settings)
    assert str(raised.value) == (
        "the supergraph applies @authenticated, @policy, @requiresScopes but auth is off "
        "(set auth.jwks): production will not serve them unenforced"
    )


def test_a_policy_hook_that_does_not_load_fails_at_start(
    supergraph_path: Path, jwks_path: Path
) -> None:
    settings = GatewaySettings(
        reload_interval=0, auth=auth(jwks_path, policy_hook="tests.gateway.nowhere:decide")
    )
    with pytest.raises(AuthorizationSetupError, match=r"cannot import tests\.gateway\.nowhere"):
        create_gateway_app(supergraph_path, settings)


def test_a_policy_hook_named_in_settings_decides(supergraph_path: Path, jwks_path: Path) -> None:
    settings = GatewaySettings(
        reload_interval=0,
        auth=auth(jwks_path, policy_hook="tests.gateway.authorization.policies:grant_all"),
    )
    with serve(create_gateway_app(supergraph_path, settings)) as url:
        body = httpx.post(
            f"{url}/graphql", json={"query": '{ user(id: "u2") { tier } }'}, timeout=30
        ).json()
    assert body == {"data": {"user": {"tier": "SILVER"}}}


def test_a_reload_bringing_the_directives_into_production_with_auth_off_is_refused(
    graph: Running, tmp_path: Path
) -> None:
    _, urls = graph
    plain = (ROOT / "tests/gateway/conformance/supergraphs/entities.graphql").read_text()
    path = tmp_path / "supergraph.graphql"
    path.write_text(plain)
    manifest = apollo_manifest(tmp_path / "manifest.json", {"Q": "query Q { __typename }"})
    settings = GatewaySettings(
        reload_interval=0,
        production=True,
        persisted_queries=PersistedQuerySettings(manifest=manifest),
    )
    app = create_gateway_app(path, settings)
    watcher = app.state.watcher
    served = app.state.gateway.supergraph
    path.write_text(
        supergraph_with_urls((APOLLO / "directives/supergraph.graphql").read_text(), urls)
    )
    assert watcher.check() is False
    assert watcher.failures == 1
    assert app.state.gateway.supergraph is served
