"""Fixtures of the persisted-query tests: a real federation with a query, a mutation and a
subscription (``subscription_federation``), gateways over it on loopback, manifest files."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.documents import PersistedQuerySettings
from gateway.engine import Gateway
from gateway.server import GatewaySettings, create_app
from tests.gateway.subscription_federation import Federation, running_federation
from tests.support.redis import dead_redis_url, redis_prefix, redis_url
from tests.support.servers import serve

__all__ = ["dead_redis_url", "redis_prefix", "redis_url"]

ORDER = "query Order($id: ID!) { order(id: $id) { id total } }"
PUBLISH = "mutation Publish($o: ID!, $s: Int!) { publish(orderId: $o, seq: $s) { seq } }"
MILESTONES = "subscription Milestones($o: ID!) { milestones(orderId: $o) { seq order { total } } }"
ORDER_VARIABLES = {"id": "o-7"}
ORDER_DATA = {"order": {"id": "o-7", "total": 700}}

GatewayServer = Callable[..., AbstractContextManager[str]]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def persisted(text: str) -> dict[str, Any]:
    """The extension Apollo Client's persisted-queries link adds to every request."""
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256(text)}}


@pytest.fixture(scope="module")
def federation() -> Iterator[Federation]:
    with running_federation() as fed:
        yield fed


@pytest.fixture
def gateway_server(federation: Federation) -> GatewayServer:
    """``with gateway_server(**persisted_query_settings) as url``: a gateway on loopback;
    ``redis_url``/``redis_prefix`` go to ``GatewaySettings``, the rest to
    ``PersistedQuerySettings``."""

    @contextmanager
    def run(
        *, redis_url: str | None = None, redis_prefix: str = "unused:", **options: Any
    ) -> Iterator[str]:
        settings = GatewaySettings(
            reload_interval=0,
            redis_url=redis_url,
            redis_prefix=redis_prefix,
            persisted_queries=PersistedQuerySettings(**options),
        )
        with serve(create_app(Gateway(federation.supergraph), settings)) as url:
            yield url

    return run


def apollo_manifest(path: Path, bodies: dict[str, str]) -> Path:
    """Write Apollo's persisted query manifest of ``{name: body}``, ids the bodies' sha256,
    as @apollo/generate-persisted-query-manifest writes it."""
    operations = [
        {"id": sha256(body), "name": name, "type": body.split(None, 1)[0], "body": body}
        for name, body in bodies.items()
    ]
    manifest = {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}
    path.write_text(json.dumps(manifest, indent=2))
    return path


def relay_manifest(path: Path, bodies: dict[str, str]) -> Path:
    """Write Relay's ``{"<id>": "<text>"}`` manifest (relay-compiler's persistConfig file)."""
    path.write_text(json.dumps(bodies, indent=2))
    return path


def metrics(url: str) -> dict[str, float]:
    """``/metrics`` as ``{name without crossdock_gateway_ and _total: value}``."""
    samples = {}
    for line in httpx.get(f"{url}/metrics").text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.split(" ")
            samples[name.removeprefix("crossdock_gateway_").removesuffix("_total")] = float(value)
    return samples
