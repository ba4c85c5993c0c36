"""The directives graph: two test subgraphs on loopback (accounts, billing) behind the
supergraph ``@apollo/composition`` composed from them (``apollo/directives/``), and
identities proved by real tokens of a test issuer."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway import Gateway
from gateway.auth import AuthSettings, Identity, TokenVerifier
from gateway.authorization import Authorizer, PolicyHook
from gateway.supergraph import Supergraph, parse_supergraph
from tests.gateway.conftest import Running, supergraph_with_urls
from tests.gateway.subgraph_kit import Subgraph, make_subgraph
from tests.support.tokens import TEST_AUDIENCE, TEST_ISSUER, TestIssuer

HERE = Path(__file__).parent
APOLLO = HERE / "apollo"

USERS: dict[str, dict[str, Any]] = {
    "u1": {
        "id": "u1",
        "name": "Ada",
        "secret": "s3cr3t",
        "tier": "GOLD",
        "badge": "B-1",
        "profile": {"bio": "engineer", "salary": 100},
    },
    "u2": {
        "id": "u2",
        "name": "Grace",
        "secret": "hidden",
        "tier": "SILVER",
        "badge": "B-2",
        "profile": {"bio": "admiral", "salary": 200},
    },
}
NODES: dict[str, dict[str, Any]] = {
    "d1": {"__typename": "Doc", "id": "d1", "title": "plans"},
    "p1": {"__typename": "Pub", "id": "p1", "title": "news"},
}


def _sdl(name: str, fixture: str = "directives") -> str:
    return (APOLLO / fixture / "subgraphs" / f"{name}.graphql").read_text()


def build() -> dict[str, Subgraph]:
    accounts = make_subgraph(
        "accounts",
        _sdl("accounts"),
        resolvers={
            "Query": {
                "public": lambda *_: "hello",
                "me": lambda *_: USERS["u1"],
                "users": lambda *_: list(USERS.values()),
                "user": lambda _, info, id: USERS.get(id),
                "node": lambda _, info, id: NODES.get(id),
                "docs": lambda *_: [NODES["d1"]],
                "pet": lambda *_: {"__typename": "Dog", "name": "Rex"},
            },
            "Mutation": {"ping": lambda *_: "pong", "wipe": lambda *_: True},
        },
        entities={
            "User": lambda rep: USERS.get(rep["id"]),
            "Doc": lambda rep: NODES.get(rep["id"]),
            "Pub": lambda rep: NODES.get(rep["id"]),
        },
    )
    billing = make_subgraph(
        "billing",
        _sdl("billing"),
        entities={
            "User": lambda rep: {
                "id": rep["id"],
                "email": f"{rep['id']}@example.com",
                "invoices": [{"number": "I-1", "amount": 10}],
            }
        },
    )
    return {"accounts": accounts, "billing": billing}


@pytest.fixture
def graph(run_subgraphs: Callable[[str, Callable[[], dict[str, Subgraph]]], Running]) -> Running:
    """The directives graph's subgraphs (their request logs emptied) and their URLs."""
    return run_subgraphs("authorization-directives", build)


@pytest.fixture
def supergraph(graph: Running) -> Supergraph:
    _, urls = graph
    source = (APOLLO / "directives" / "supergraph.graphql").read_text()
    return parse_supergraph(supergraph_with_urls(source, urls))


GatewayFactory = Callable[..., Gateway]


@pytest.fixture
async def gateway_for(supergraph: Supergraph) -> AsyncIterator[GatewayFactory]:
    """Gateways over the directives graph enforcing its directives: ``gateway_for(reject=…,
    policy_hook=…, **Gateway options)``; closed at the end."""
    made: list[Gateway] = []

    def make(
        *,
        reject: bool = False,
        policy_hook: Callable[..., Any] | None = None,
        policy_timeout: float = 1.0,
        **options: Any,
    ) -> Gateway:
        hook = None if policy_hook is None else PolicyHook(policy_hook, timeout=policy_timeout)
        gateway = Gateway(
            supergraph, authorization=Authorizer(reject=reject, policy_hook=hook), **options
        )
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        await gateway.aclose()


@pytest.fixture
def gateway(gateway_for: GatewayFactory) -> Gateway:
    """A gateway over the directives graph, filtering (the default mode), no policy hook."""
    return gateway_for()


@pytest.fixture(scope="session")
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture(scope="session")
def jwks_path(issuer: TestIssuer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return issuer.jwks_file(tmp_path_factory.mktemp("jwks"))


@pytest.fixture
async def identity(
    issuer: TestIssuer, jwks_path: Path
) -> AsyncIterator[Callable[..., Awaitable[Identity]]]:
    """``await identity(scope="a b")``: the identity a real token with that scope proves."""
    verifier = TokenVerifier(
        AuthSettings(jwks=str(jwks_path), issuer=TEST_ISSUER, audience=TEST_AUDIENCE)
    )

    async def prove(scope: str | None = None, **claims: Any) -> Identity:
        return await verifier.verify(issuer.token(scope=scope, **claims))

    yield prove
    await verifier.aclose()


@pytest.fixture
def subgraph_queries(graph: Running) -> Iterator[Callable[[str], list[str]]]:
    """The operations a subgraph of the directives graph was sent, by name."""
    subgraphs, _ = graph
    yield lambda name: subgraphs[name].operations()
