"""The auth directives inside ``@defer``'d fragments, over the real subgraphs of the directives
graph: an unauthorized field of a deferred fragment is ``null`` in that fragment's payload,
with its ``UNAUTHORIZED_FIELD_OR_TYPE`` error there (not in the initial payload), and is
never fetched; what the identity may see is deferred as asked."""

from __future__ import annotations

from typing import Any

from gateway import Gateway
from gateway.auth import ANONYMOUS, Identity
from tests.gateway.authorization.conftest import USERS
from tests.gateway.authorization.test_filter import Prove, Queries, unauthorized


async def payloads(gateway: Gateway, query: str, identity: Identity = ANONYMOUS) -> list[Any]:
    """Every payload the client is sent, in order."""
    outcome = await gateway.stream({"query": query}, identity=identity)
    assert outcome.responses is not None, outcome.refused
    return [payload async for payload in outcome.responses]


async def test_an_unauthorized_deferred_field_is_null_with_its_error_in_its_part(
    gateway: Gateway, subgraph_queries: Queries
) -> None:
    query = (
        '{ me { name } user(id: "u1") { name ... @defer(label: "billing") '
        "{ id email invoices { number amount } } } }"
    )
    initial, deferred = await payloads(gateway, query)
    # The initial payload: its own unauthorized field, and nothing of the deferred fragment.
    assert initial == {
        "data": {"me": None, "user": {"name": "Ada"}},
        "errors": unauthorized(["me"]),
        "hasNext": True,
    }
    billing = {"id": "u1", "email": None, "invoices": [{"number": "I-1", "amount": None}]}
    assert deferred == {
        "incremental": [
            {
                "data": billing,
                "path": ["user"],
                "label": "billing",
                "errors": unauthorized(["user", "email"], ["user", "invoices", "@", "amount"]),
            }
        ],
        "hasNext": False,
    }
    # The fields taken out never reached their subgraph.
    assert all("email" not in q and "amount" not in q for q in subgraph_queries("billing"))


async def test_a_null_that_propagates_carries_its_error_in_the_same_part(
    gateway: Gateway,
) -> None:
    # badge is non-null: unauthorized, its null takes the user with it, in the deferred part.
    query = '{ public ... @defer(label: "who") { user(id: "u1") { name badge } } }'
    initial, deferred = await payloads(gateway, query)
    assert initial == {"data": {"public": "hello"}, "hasNext": True}
    assert deferred == {
        "incremental": [
            {
                "data": {"user": None},
                "path": [],
                "label": "who",
                "errors": unauthorized(["user", "badge"]),
            }
        ],
        "hasNext": False,
    }


async def test_each_list_element_gets_its_part_and_the_error_comes_once(
    gateway: Gateway, identity: Prove
) -> None:
    query = '{ users { name ... @defer(label: "more") { id email } } }'
    initial, deferred = await payloads(gateway, query, await identity("staff"))
    assert initial == {
        "data": {"users": [{"name": u["name"]} for u in USERS.values()]},
        "hasNext": True,
    }
    first, second = deferred["incremental"]
    assert first == {
        "data": {"id": "u1", "email": None},
        "path": ["users", 0],
        "label": "more",
        "errors": unauthorized(["users", "@", "email"]),
    }
    assert second == {"data": {"id": "u2", "email": None}, "path": ["users", 1], "label": "more"}


async def test_a_token_with_the_scope_gets_the_deferred_field(
    gateway: Gateway, identity: Prove
) -> None:
    query = '{ user(id: "u1") { name ... @defer { email } } }'
    initial, deferred = await payloads(gateway, query, await identity("email"))
    assert initial == {"data": {"user": {"name": "Ada"}}, "hasNext": True}
    assert deferred == {
        "incremental": [{"data": {"email": "u1@example.com"}, "path": ["user"]}],
        "hasNext": False,
    }


async def test_a_fragment_with_nothing_left_to_defer_is_answered_at_once(gateway: Gateway) -> None:
    # Every field of the fragment is taken out: nothing is deferred, one response has it all.
    [response] = await payloads(gateway, '{ public ... @defer(label: "who") { me { name } } }')
    assert response == {"data": {"public": "hello", "me": None}, "errors": unauthorized(["me"])}
