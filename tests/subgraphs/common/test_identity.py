"""subgraphs.common.identity: a subgraph app with auth on verifies the forwarded token itself.

A tiny app on loopback whose fields tell the actor they were served for, over HTTP and
graphql-transport-ws, with real tokens of a test issuer (its JWKS as a file).
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import strawberry
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from websockets.typing import Subprotocol

from gateway.auth import AuthSettings, Identity, Unauthenticated
from schema.actor import SYSTEM, Actor
from subgraphs.common import create_graphql_app, federation_schema
from subgraphs.common.identity import (
    NOBODY,
    CallerContext,
    Identification,
    actor_of,
    authorization_of,
)
from tests.support.servers import serve
from tests.support.tokens import TEST_AUDIENCE, TEST_ISSUER, TestIssuer

PROTOCOL = "graphql-transport-ws"
WHO = "{ who { subject scopes accountId restricted } }"


@dataclass(slots=True)
class Context(CallerContext):
    pass


@strawberry.type
class Who:
    subject: str | None
    scopes: list[str]
    account_id: str | None
    restricted: bool

    @classmethod
    def of(cls, actor: Actor) -> Who:
        return cls(
            subject=actor.subject,
            scopes=sorted(actor.scopes),
            account_id=actor.account_id,
            restricted=actor.restricted,
        )


@strawberry.type
class Query:
    @strawberry.field
    def who(self, info: strawberry.Info[Context, None]) -> Who:
        return Who.of(info.context.actor)


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def who(self, info: strawberry.Info[Context, None]) -> AsyncGenerator[Who, None]:
        yield Who.of(info.context.actor)


SCHEMA = federation_schema(Query, subscription=Subscription)


@pytest.fixture(scope="module")
def issuer() -> TestIssuer:
    return TestIssuer()


@pytest.fixture(scope="module")
def jwks(issuer: TestIssuer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return issuer.jwks_file(tmp_path_factory.mktemp("jwks"))


def _serve(auth: AuthSettings | None) -> Iterator[str]:
    app = create_graphql_app(
        SCHEMA, name="tiny", context_getter=lambda a: Context(actor=a), auth=auth
    )
    with serve(app) as url:
        yield url


@pytest.fixture(scope="module")
def guarded(jwks: Path) -> Iterator[str]:
    """The app with auth on."""
    yield from _serve(AuthSettings(jwks=str(jwks), issuer=TEST_ISSUER, audience=TEST_AUDIENCE))


@pytest.fixture(scope="module")
def open_app() -> Iterator[str]:
    """The app with auth off."""
    yield from _serve(None)


def post(url: str, authorization: str | None, query: str = WHO) -> httpx.Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    return httpx.post(f"{url}/graphql", json={"query": query}, headers=headers, timeout=10)


def test_a_verified_token_is_its_actor(guarded: str, issuer: TestIssuer) -> None:
    token = issuer.token(subject="ana", scope="orders:read accounts:read", account_id="001X")
    response = post(guarded, f"Bearer {token}")
    assert response.status_code == 200
    assert response.json() == {
        "data": {
            "who": {
                "subject": "ana",
                "scopes": ["accounts:read", "orders:read"],
                "accountId": "001X",
                "restricted": True,
            }
        }
    }


def test_no_token_gets_no_data_but_the_subgraphs_own_description(guarded: str) -> None:
    response = post(guarded, None)
    assert response.status_code == 200
    assert response.json() == {
        "data": None,
        "errors": [
            {"message": "A bearer token is required.", "extensions": {"code": "UNAUTHENTICATED"}}
        ],
    }
    for hidden in ("{ __typename who { subject } }", "{ ... on Query { who { subject } } }"):
        assert post(guarded, None, hidden).json()["data"] is None
    # What composition and tools read stays open.
    described = post(guarded, None, "{ _service { sdl } __schema { queryType { name } } }")
    answer = described.json()["data"]
    assert "type Query" in answer["_service"]["sdl"]
    assert answer["__schema"] == {"queryType": {"name": "Query"}}


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("forged", "The token is not signed by a known key."),
        ("expired", "The token has expired."),
        ("foreign audience", "The token is not for this graph."),
        ("foreign issuer", "The token is not for this graph."),
        ("not a JWT", "The token is not a JWT."),
        ("another scheme", "Authorization must be 'Bearer <token>'."),
    ],
)
def test_a_token_that_does_not_verify_gets_401_and_no_data(
    guarded: str, issuer: TestIssuer, case: str, message: str
) -> None:
    authorization = {
        "forged": f"Bearer {TestIssuer().token(account_id='001X')}",
        "expired": f"Bearer {issuer.token(ttl=-120)}",
        "foreign audience": f"Bearer {issuer.token(audience='another-graph')}",
        "foreign issuer": f"Bearer {issuer.token(issuer='https://elsewhere.test')}",
        "not a JWT": "Bearer not-a-token",
        "another scheme": "Basic dXNlcjpwYXNz",
    }[case]
    response = post(guarded, authorization)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json() == {
        "data": None,
        "errors": [{"message": message, "extensions": {"code": "UNAUTHENTICATED"}}],
    }


def test_keys_from_a_jwks_url_fetched_once_and_a_rotated_key_without_a_restart() -> None:
    issuer = TestIssuer()
    with issuer.serve_jwks() as jwks:
        auth = AuthSettings(
            jwks=jwks,
            issuer=TEST_ISSUER,
            audience=TEST_AUDIENCE,
            jwks_min_refresh_interval=0,  # an unknown kid is fetched at once
        )
        for url in _serve(auth):
            for _ in range(3):
                response = post(url, f"Bearer {issuer.token(account_id='001X')}")
                assert response.json()["data"]["who"]["accountId"] == "001X"
            assert issuer.fetches == 1  # cached
            issuer.rotate()
            response = post(url, f"Bearer {issuer.token(account_id='001Y')}")
            assert response.json()["data"]["who"]["accountId"] == "001Y"
            assert issuer.fetches == 2  # the unknown kid made it fetch again


def test_auth_off_serves_everyone_as_system(open_app: str, issuer: TestIssuer) -> None:
    system: dict[str, Any] = {"subject": None, "scopes": [], "accountId": None, "restricted": False}
    response = post(open_app, None)
    assert response.status_code == 200
    assert response.json() == {"data": {"who": system}}


def test_auth_off_refuses_a_caller_that_sends_a_token(open_app: str, issuer: TestIssuer) -> None:
    # Served as the system, a customer's token would see every account: a subgraph left with
    # auth off behind a gateway with auth on (which forwards the token) fails closed.
    for authorization in (issuer.token(account_id="001X"), "not-a-token"):
        response = post(open_app, f"Bearer {authorization}")
        assert response.status_code == 401
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "UNAUTHENTICATED"
        assert "auth off" in error["message"] and response.json()["data"] is None


def _socket(url: str) -> ClientConnection:
    return connect(f"ws{url[4:]}/graphql", subprotocols=[Subprotocol(PROTOCOL)])


def _subscribe_who(ws: ClientConnection) -> dict[str, Any]:
    query = {"query": "subscription { who { subject accountId restricted } }"}
    ws.send(json.dumps({"type": "subscribe", "id": "1", "payload": query}))
    message: dict[str, Any] = json.loads(ws.recv(timeout=5))
    return message


@pytest.mark.parametrize("where", ["top", "headers"])
def test_a_socket_is_its_connection_init_tokens_actor(
    guarded: str, issuer: TestIssuer, where: str
) -> None:
    authorization = f"Bearer {issuer.token(subject='ana', account_id='001X')}"
    payload = (
        {"Authorization": authorization}
        if where == "top"
        else {"headers": {"authorization": authorization}}
    )
    with _socket(guarded) as ws:
        ws.send(json.dumps({"type": "connection_init", "payload": payload}))
        assert json.loads(ws.recv(timeout=5)) == {"type": "connection_ack"}
        who = {"subject": "ana", "accountId": "001X", "restricted": True}
        assert _subscribe_who(ws) == {"id": "1", "type": "next", "payload": {"data": {"who": who}}}


@pytest.mark.parametrize("case", ["forged", "expired", "another scheme"])
def test_a_socket_with_a_token_that_does_not_verify_is_closed_4403(
    guarded: str, issuer: TestIssuer, case: str
) -> None:
    authorization = {
        "forged": f"Bearer {TestIssuer().token()}",
        "expired": f"Bearer {issuer.token(ttl=-120)}",
        "another scheme": "Basic dXNlcjpwYXNz",
    }[case]
    with _socket(guarded) as ws:
        ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": authorization}})
        )
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403


def test_a_socket_is_closed_4403_when_its_token_expires(jwks: Path, issuer: TestIssuer) -> None:
    auth = AuthSettings(jwks=str(jwks), issuer=TEST_ISSUER, audience=TEST_AUDIENCE, leeway=0)
    for url in _serve(auth):
        token = issuer.token(ttl=2)
        with _socket(url) as ws:
            init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
            ws.send(json.dumps(init))
            assert json.loads(ws.recv(timeout=5)) == {"type": "connection_ack"}
            # Nothing more comes until the token's exp (2 s at most), then the close.
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=10)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4403
        assert closed.value.rcvd.reason == "The token has expired."


def test_a_socket_without_a_token_is_nobody(guarded: str) -> None:
    # Its subscriptions run for NOBODY: limited to no account, they find no records.
    with _socket(guarded) as ws:
        ws.send(json.dumps({"type": "connection_init"}))
        assert json.loads(ws.recv(timeout=5)) == {"type": "connection_ack"}
        who = {"subject": None, "accountId": None, "restricted": True}
        assert _subscribe_who(ws)["payload"] == {"data": {"who": who}}


def test_claims_make_the_actor() -> None:
    identity = Identity(
        token="t", subject="s", scopes=frozenset({"staff"}), claims={"account_id": 42}
    )
    assert actor_of(identity) == Actor(subject="s", scopes=frozenset({"staff"}), account_id=None)
    bound = Identity(token="t", subject="s", claims={"account_id": "001X"})
    assert actor_of(bound).account_id == "001X" and actor_of(bound).account_scope == "001X"


def test_authorization_of_a_connection_init_payload() -> None:
    assert authorization_of(None) is None
    assert authorization_of({}) is None
    assert authorization_of({"AUTHORIZATION": "Bearer a"}) == "Bearer a"
    assert authorization_of({"headers": {"Authorization": "Bearer b"}}) == "Bearer b"
    with pytest.raises(Unauthenticated):
        authorization_of({"Authorization": 7})


async def test_identification_with_auth_off_is_system() -> None:
    identification = Identification(AuthSettings())
    assert not identification.enabled and identification.unidentified is SYSTEM
    assert await identification.of_authorization(None) is SYSTEM
    assert await identification.of_connection({}) is SYSTEM
    with pytest.raises(Unauthenticated, match="auth off"):
        await identification.of_authorization("Bearer anything")
    with pytest.raises(Unauthenticated, match="auth off"):
        await identification.of_connection({"Authorization": "Bearer x"})
    await identification.aclose()
    assert NOBODY.account_scope == ""


def test_an_actor_limited_to_no_account_sees_no_record_at_all() -> None:
    """A token without ``account_id`` is limited to no account (``account_scope`` ""). A
    record whose account is the empty string (an ERP customer without an external id, a
    system answering "" for none) must not be taken for its own: it sees nothing."""
    unbound = actor_of(Identity(token="t", subject="s", claims={"scope": "orders:read"}))
    assert unbound.account_scope == ""
    for account in ("", None, "001X"):
        assert not unbound.may_see(account)
        assert not NOBODY.may_see(account)
    bound = actor_of(Identity(token="t", subject="s", claims={"account_id": "001X"}))
    assert bound.may_see("001X") and not bound.may_see("") and not bound.may_see(None)
