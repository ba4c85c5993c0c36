"""The production switch: one setting turns GraphiQL and introspection off, enforces the trusted
documents and takes the internals out of error messages, on every transport."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from gateway.documents import PersistedQuerySettings
from gateway.engine import Gateway
from gateway.redaction import REDACTED_MESSAGE
from gateway.server import GatewaySettings, create_app
from tests.gateway.documents.conftest import apollo_manifest
from tests.gateway.documents.transports import TRANSPORTS, Observed
from tests.gateway.subscription_federation import Federation, running_federation
from tests.support.servers import serve

ORDER = "query Order($id: ID!) { order(id: $id) { id total } }"
TYPENAME = "query Typename { __typename }"
INTROSPECTION = "query Introspection { __schema { queryType { name } } }"
TYPO = 'query Typo { order(id: "o-1") { totl } }'
NOT_LISTED = "{ lastSeq }"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def federation() -> Iterator[Federation]:
    with running_federation() as fed:
        yield fed


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    return apollo_manifest(
        tmp_path / "manifest.json",
        {"Order": ORDER, "Typename": TYPENAME, "Introspection": INTROSPECTION, "Typo": TYPO},
    )


@contextmanager
def gateway(federation: Federation, manifest: Path, *, production: bool) -> Iterator[str]:
    """A gateway over the federation listing ``manifest``'s operations: in production, or
    enforcing the same manifest without the switch (what production adds shows against it)."""
    documents = PersistedQuerySettings(manifest=manifest, trusted_documents="enforce")
    settings = GatewaySettings(
        reload_interval=0,
        production=production,
        persisted_queries=PersistedQuerySettings(manifest=manifest) if production else documents,
    )
    engine = Gateway(federation.supergraph, introspection=not production, redact_errors=production)
    with serve(create_app(engine, settings)) as url:
        yield url


Send = Callable[[str, dict[str, Any]], Observed]


@pytest.mark.parametrize("send", TRANSPORTS.values(), ids=TRANSPORTS.keys())
def test_only_listed_operations_run(federation: Federation, manifest: Path, send: Send) -> None:
    with gateway(federation, manifest, production=True) as url:
        listed = send(url, {"query": ORDER, "variables": {"id": "o-3"}})
        refused = send(url, {"query": NOT_LISTED})
    assert listed.data == {"order": {"id": "o-3", "total": 300}}
    assert refused.codes == ["QUERY_NOT_IN_SAFELIST"]


@pytest.mark.parametrize("send", TRANSPORTS.values(), ids=TRANSPORTS.keys())
def test_introspection_is_off_even_when_listed(
    federation: Federation, manifest: Path, send: Send
) -> None:
    with gateway(federation, manifest, production=False) as url:
        assert send(url, {"query": INTROSPECTION}).data == {
            "__schema": {"queryType": {"name": "Query"}}
        }
    with gateway(federation, manifest, production=True) as url:
        refused = send(url, {"query": INTROSPECTION})
        typename = send(url, {"query": TYPENAME})
    assert refused.codes and set(refused.codes) == {"GRAPHQL_VALIDATION_FAILED"}
    assert "introspection" in refused.first["errors"][0]["message"].lower()
    assert "data" not in refused.first
    assert typename.data == {"__typename": "Query"}


@pytest.mark.parametrize("send", TRANSPORTS.values(), ids=TRANSPORTS.keys())
def test_a_subgraphs_internals_stay_inside(
    federation: Federation, manifest: Path, send: Send
) -> None:
    # The ledger subgraph fails on this id with Python's own words ("invalid literal …").
    body = {"query": ORDER, "variables": {"id": "o-boom"}}
    with gateway(federation, manifest, production=False) as url:
        [leaky] = send(url, body).first["errors"]
    assert "invalid literal" in leaky["message"]
    assert leaky["extensions"]["serviceName"] == "ledger"
    with gateway(federation, manifest, production=True) as url:
        answer = send(url, body).first
    [error] = answer["errors"]
    assert error == {
        "message": REDACTED_MESSAGE,
        "path": leaky["path"],
        "extensions": {"code": leaky["extensions"]["code"]},
    }
    assert answer["data"] == {"order": {"id": "o-boom", "total": None}}


def test_a_subgraph_that_is_down_is_not_named(federation: Federation, manifest: Path) -> None:
    federation.ledger.http_down = True
    try:
        with gateway(federation, manifest, production=True) as url:
            answer = TRANSPORTS["post"](url, {"query": ORDER, "variables": {"id": "o-2"}}).first
    finally:
        federation.ledger.http_down = False
    assert answer["errors"]
    for error in answer["errors"]:
        assert error["message"] == REDACTED_MESSAGE
        assert "serviceName" not in error["extensions"]
        assert "ledger" not in str(error)


def test_validation_errors_do_not_spell_out_the_schema(
    federation: Federation, manifest: Path
) -> None:
    with gateway(federation, manifest, production=False) as url:
        [suggested] = TRANSPORTS["post"](url, {"query": TYPO}).first["errors"]
    assert "Did you mean 'total'?" in suggested["message"]
    with gateway(federation, manifest, production=True) as url:
        [plain] = TRANSPORTS["post"](url, {"query": TYPO}).first["errors"]
    assert plain["message"] == "Cannot query field 'totl' on type 'Order'."
    assert plain["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_no_graphiql(federation: Federation, manifest: Path) -> None:
    with gateway(federation, manifest, production=True) as url:
        page = httpx.get(f"{url}/graphql", headers={"accept": "text/html"})
    assert "GraphiQL" not in page.text
    assert page.status_code >= 400


def test_the_switch_sets_what_it_stands_for(manifest: Path) -> None:
    settings = GatewaySettings(
        production=True, persisted_queries=PersistedQuerySettings(manifest=manifest)
    )
    assert settings.graphiql is False
    assert settings.expose_query_plans is False
    assert settings.persisted_queries.trusted_documents == "enforce"


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({}, "production needs a trusted-documents manifest"),
        ({"graphiql": True, "manifest": True}, "production turns GraphiQL off"),
        ({"expose_query_plans": True, "manifest": True}, "production keeps query plans"),
        ({"trusted_documents": "log", "manifest": True}, "production enforces"),
    ],
)
def test_the_switch_refuses_what_contradicts_it(
    manifest: Path, options: dict[str, Any], problem: str
) -> None:
    documents: dict[str, Any] = {}
    if options.pop("manifest", False):
        documents["manifest"] = manifest
    if "trusted_documents" in options:
        documents["trusted_documents"] = options.pop("trusted_documents")
    with pytest.raises(ValidationError, match=problem):
        GatewaySettings(
            production=True, persisted_queries=PersistedQuerySettings(**documents), **options
        )


def test_crossdock_gateway_will_not_start_in_production_without_a_manifest() -> None:
    env = {**os.environ, "CROSSDOCK_GATEWAY__PRODUCTION": "true"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "crossdock.cli",
            "gateway",
            "--supergraph",
            str(ROOT / "schema" / "supergraph.graphql"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "production needs a trusted-documents manifest" in result.stderr
    assert "Traceback" not in result.stderr
