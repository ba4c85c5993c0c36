"""Each directive, on each place it applies, enforced by the gateway over real subgraphs: the
unauthorized fields come back null with an ``UNAUTHORIZED_FIELD_OR_TYPE`` error at Apollo
Router's path, null propagates as for any field, and the rest of the query runs, without the
removed fields ever reaching a subgraph."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from graphql import build_schema, parse

from gateway import Gateway
from gateway.auth import ANONYMOUS, Identity
from gateway.authorization import MAX_ERRORS, filter_operation
from gateway.limits import Limits
from gateway.planner import select_operation
from gateway.supergraph import Authorization, Requirement

Prove = Callable[..., Awaitable[Identity]]
Queries = Callable[[str], list[str]]


def unauthorized(*paths: list[str | int]) -> list[dict[str, Any]]:
    return [
        {
            "message": "Unauthorized field or type",
            "path": path,
            "extensions": {"code": "UNAUTHORIZED_FIELD_OR_TYPE"},
        }
        for path in paths
    ]


async def run(gateway: Gateway, query: str, identity: Identity = ANONYMOUS) -> dict[str, Any]:
    outcome = await gateway.execute({"query": query}, identity=identity)
    return dict(outcome.response)


async def test_authenticated_field_is_null_for_anonymous_and_never_fetched(
    gateway: Gateway, subgraph_queries: Queries
) -> None:
    response = await run(gateway, "{ public me { name } }")
    assert response == {"data": {"public": "hello", "me": None}, "errors": unauthorized(["me"])}
    assert all("me" not in q for q in subgraph_queries("accounts"))


async def test_authenticated_field_is_served_to_a_verified_token(
    gateway: Gateway, identity: Prove
) -> None:
    response = await run(gateway, "{ public me { name } }", await identity())
    assert response == {"data": {"public": "hello", "me": {"name": "Ada"}}}


async def test_scopes_are_an_or_of_and_lists(gateway: Gateway, identity: Prove) -> None:
    query = "{ users { name } }"
    served = {"data": {"users": [{"name": "Ada"}, {"name": "Grace"}]}}
    # [["users:read", "users:list"], ["staff"]]: one of two is not enough, both are, staff is.
    one_of_two = await run(gateway, query, await identity("users:read"))
    assert one_of_two == {"data": None, "errors": unauthorized(["users", "@"])}
    assert await run(gateway, query, await identity("users:read users:list")) == served
    assert await run(gateway, query, await identity("staff")) == served
    assert await run(gateway, query, await identity("users:list other staff")) == served


async def test_a_scalar_asks_its_scopes_of_every_field_returning_it(
    gateway: Gateway, identity: Prove
) -> None:
    query = '{ user(id: "u1") { name secret } }'
    without = await run(gateway, query, await identity("orders:read"))
    assert without == {
        "data": {"user": {"name": "Ada", "secret": None}},
        "errors": unauthorized(["user", "secret"]),
    }
    with_scope = await run(gateway, query, await identity("secret"))
    assert with_scope == {"data": {"user": {"name": "Ada", "secret": "s3cr3t"}}}


async def test_an_object_type_asks_its_requirement_of_fields_returning_it(
    gateway: Gateway, identity: Prove
) -> None:
    # Doc is @authenticated; docs: [Doc] is the list's path with "@".
    response = await run(gateway, "{ public docs { title } }")
    assert response == {
        "data": {"public": "hello", "docs": None},
        "errors": unauthorized(["docs", "@"]),
    }
    served = await run(gateway, "{ docs { title } }", await identity())
    assert served == {"data": {"docs": [{"title": "plans"}]}}


async def test_a_fragment_on_a_guarded_member_type_is_removed(
    gateway: Gateway, identity: Prove
) -> None:
    # Dog asks for "dogs": its fragment goes, the Cat one stays; the pet is a Dog.
    query = "{ pet { __typename ... on Dog { name } ... on Cat { name } } }"
    response = await run(gateway, query, await identity("other"))
    assert response == {
        "data": {"pet": {"__typename": "Dog", "name": None}},
        "errors": unauthorized(["pet", "... on Dog"]),
    }
    served = await run(gateway, query, await identity("dogs"))
    assert served == {"data": {"pet": {"__typename": "Dog", "name": "Rex"}}}


async def test_an_interface_asks_what_its_implementations_ask(
    gateway: Gateway, identity: Prove
) -> None:
    # Apollo's composition writes Doc's @authenticated onto Node: node needs a token, even
    # for a Pub.
    query = '{ public node(id: "p1") { id ... on Pub { title } } }'
    response = await run(gateway, query)
    assert response == {"data": {"public": "hello", "node": None}, "errors": unauthorized(["node"])}
    served = await run(gateway, query, await identity())
    assert served == {"data": {"public": "hello", "node": {"id": "p1", "title": "news"}}}


async def test_an_enum_asks_its_policies(gateway_for: Callable[..., Gateway]) -> None:
    gateway = gateway_for(policy_hook=lambda identity, policies: {"tiers"})
    response = await run(gateway, '{ user(id: "u2") { tier } }')
    assert response == {"data": {"user": {"tier": "SILVER"}}}
    denying = gateway_for(policy_hook=lambda identity, policies: set())
    denied = await run(denying, '{ user(id: "u2") { name tier } }')
    assert denied == {
        "data": {"user": {"name": "Grace", "tier": None}},
        "errors": unauthorized(["user", "tier"]),
    }
    # Its only field gone, the user goes too; so does the whole operation: data is null.
    emptied = await run(denying, '{ user(id: "u2") { tier } }')
    assert emptied == {"data": None, "errors": unauthorized(["user", "tier"])}


async def test_a_non_null_field_removed_nulls_its_parent(gateway: Gateway, identity: Prove) -> None:
    # badge: String! — its null propagates to the user, with no error of its own.
    response = await run(gateway, '{ public user(id: "u1") { name badge } }', await identity())
    assert response == {
        "data": {"public": "hello", "user": None},
        "errors": unauthorized(["user", "badge"]),
    }


async def test_null_propagates_through_lists_up_to_data(gateway: Gateway, identity: Prove) -> None:
    # users: [User!]! — each user is null, so the list, so the root.
    response = await run(gateway, "{ users { name badge } }", await identity("staff"))
    assert response == {"data": None, "errors": unauthorized(["users", "@", "badge"])}


async def test_a_selection_left_empty_takes_its_field_away(
    gateway: Gateway, identity: Prove, subgraph_queries: Queries
) -> None:
    # salary is the profile's only field asked: profile goes too, and Profile! nulls the user.
    response = await run(gateway, '{ public user(id: "u1") { profile { salary } } }')
    assert response == {
        "data": {"public": "hello", "user": None},
        "errors": unauthorized(["user", "profile", "salary"]),
    }
    assert not any("profile" in q for q in subgraph_queries("accounts"))


async def test_typename_stays_when_every_other_field_goes(gateway: Gateway) -> None:
    response = await run(gateway, '{ user(id: "u1") { __typename secret } }')
    assert response == {
        "data": {"user": {"__typename": "User", "secret": None}},
        "errors": unauthorized(["user", "secret"]),
    }


async def test_fields_of_a_named_fragment_are_removed_at_every_spread(
    gateway: Gateway, identity: Prove
) -> None:
    query = """
      { a: user(id: "u1") { ...Card } b: user(id: "u2") { ...Card } }
      fragment Card on User { name secret }
    """
    response = await run(gateway, query, await identity())
    assert response == {
        "data": {"a": {"name": "Ada", "secret": None}, "b": {"name": "Grace", "secret": None}},
        "errors": unauthorized(["a", "secret"], ["b", "secret"]),
    }


async def test_entity_fields_of_another_subgraph_are_not_fetched(
    gateway: Gateway, identity: Prove, subgraph_queries: Queries
) -> None:
    response = await run(gateway, '{ user(id: "u1") { name email } }', await identity())
    assert response == {
        "data": {"user": {"name": "Ada", "email": None}},
        "errors": unauthorized(["user", "email"]),
    }
    assert subgraph_queries("billing") == []
    served = await run(gateway, '{ user(id: "u1") { name email } }', await identity("email"))
    assert served == {"data": {"user": {"name": "Ada", "email": "u1@example.com"}}}


async def test_nested_fields_through_an_entity_list(gateway: Gateway) -> None:
    # amount is @authenticated, number is not: inside a list of a list of another subgraph.
    response = await run(gateway, '{ user(id: "u1") { invoices { number amount } } }')
    assert response == {
        "data": {"user": {"invoices": [{"number": "I-1", "amount": None}]}},
        "errors": unauthorized(["user", "invoices", "@", "amount"]),
    }


async def test_every_root_field_removed_fetches_nothing(
    gateway: Gateway, subgraph_queries: Queries
) -> None:
    response = await run(gateway, "{ me { name } docs { id } }")
    assert response == {"data": None, "errors": unauthorized(["me"], ["docs", "@"])}
    assert subgraph_queries("accounts") == []


async def test_an_unauthorized_mutation_never_reaches_its_subgraph(
    gateway: Gateway, identity: Prove, subgraph_queries: Queries
) -> None:
    refused = await run(gateway, "mutation { wipe }", await identity("orders:write"))
    assert refused == {"data": None, "errors": unauthorized(["wipe"])}
    assert subgraph_queries("accounts") == []
    partial = await run(gateway, "mutation { ping wipe }", await identity())
    assert partial == {"data": {"ping": "pong", "wipe": None}, "errors": unauthorized(["wipe"])}
    assert [q for q in subgraph_queries("accounts") if "wipe" in q] == []
    allowed = await run(gateway, "mutation { wipe }", await identity("admin"))
    assert allowed == {"data": {"wipe": True}}


async def test_introspection_is_not_filtered(gateway: Gateway) -> None:
    response = await run(gateway, '{ __type(name: "User") { name } me { name } }')
    assert response == {
        "data": {"__type": {"name": "User"}, "me": None},
        "errors": unauthorized(["me"]),
    }


async def test_skipped_fields_are_not_reported(gateway: Gateway) -> None:
    query = "query ($s: Boolean!) { public me @skip(if: $s) { name } }"
    outcome = await gateway.execute({"query": query, "variables": {"s": True}})
    assert outcome.response == {"data": {"public": "hello"}}
    outcome = await gateway.execute({"query": query, "variables": {"s": False}})
    assert outcome.response == {
        "data": {"public": "hello", "me": None},
        "errors": unauthorized(["me"]),
    }


async def test_aliases_name_the_error_paths(gateway: Gateway) -> None:
    response = await run(gateway, "{ who: me { name } hi: public }")
    assert response == {"data": {"who": None, "hi": "hello"}, "errors": unauthorized(["who"])}


async def test_errors_are_capped(gateway_for: Callable[..., Gateway]) -> None:
    gateway = gateway_for(limits=Limits(max_aliases=None))
    fields = " ".join(f'u{i}: user(id: "u1") {{ name secret }}' for i in range(MAX_ERRORS + 20))
    response = await run(gateway, "{ " + fields + " }")
    assert len(response["errors"]) == MAX_ERRORS
    assert response["data"]["u0"] == {"name": "Ada", "secret": None}
    assert response["data"][f"u{MAX_ERRORS + 19}"] == {"name": "Ada", "secret": None}


def test_fragments_nested_to_multiply_their_paths_stay_cheap() -> None:
    # Each fragment spreads the next under two fields: 2^24 paths if nothing bounded them.
    schema = build_schema("type Query { node: N } type N { a: N b: N name: String secret: String }")
    authorization = Authorization(fields={"N": {"secret": Requirement(authenticated=True)}})
    levels = 24
    fragments = [f"fragment F{levels} on N {{ name secret }}"]
    for level in range(levels - 1, -1, -1):
        fragments.append(
            f"fragment F{level} on N {{ a {{ ...F{level + 1} }} b {{ ...F{level + 1} }} }}"
        )
    operation = select_operation(parse("{ node { ...F0 } } " + " ".join(fragments)), None)
    started = time.perf_counter()
    filtered = filter_operation(schema, authorization, operation, {}, lambda r: False)
    assert time.perf_counter() - started < 2
    assert filtered is not None
    assert len(filtered.errors) == MAX_ERRORS
    assert filtered.errors[0]["path"] == ["node", *(["a"] * levels), "secret"]
