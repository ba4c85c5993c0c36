"""The authorizer in the engine: plans never shared across what filtering removed, reject
mode, demand control on the filtered operation, subscriptions, auth off, renamed imports."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from gateway import Gateway
from gateway.auth import ANONYMOUS, Identity
from gateway.authorization import Authorizer
from gateway.demand import DemandControl, DemandSettings
from gateway.supergraph import Supergraph, parse_supergraph
from tests.gateway.authorization.conftest import APOLLO, HERE
from tests.gateway.conftest import Running, supergraph_with_urls
from tests.gateway.subgraph_kit import Subgraph, make_subgraph

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


async def test_plans_are_shared_only_between_identities_that_filter_alike(
    gateway: Gateway, identity: Prove
) -> None:
    query = '{ user(id: "u1") { name secret email } }'
    anonymous, other_anonymous = await identity("x"), await identity("y")
    secret, everything = await identity("secret"), await identity("secret email")

    async def data(who: Identity) -> Any:
        return (await gateway.execute({"query": query}, identity=who)).response["data"]

    assert await data(anonymous) == {"user": {"name": "Ada", "secret": None, "email": None}}
    assert await data(secret) == {"user": {"name": "Ada", "secret": "s3cr3t", "email": None}}
    assert await data(everything) == {
        "user": {"name": "Ada", "secret": "s3cr3t", "email": "u1@example.com"}
    }
    assert gateway.stats.plans_built == 3
    # The same removals, another token: the plan is the first one's.
    assert await data(other_anonymous) == {"user": {"name": "Ada", "secret": None, "email": None}}
    assert await data(everything) == {
        "user": {"name": "Ada", "secret": "s3cr3t", "email": "u1@example.com"}
    }
    assert (gateway.stats.plans_built, gateway.stats.plan_cache_hits) == (3, 2)
    assert gateway.stats.parses == 1


async def test_nothing_removed_keeps_the_plan_key_of_a_gateway_without_auth(
    gateway: Gateway, identity: Prove
) -> None:
    query = '{ user(id: "u1") { name } }'
    await gateway.execute({"query": query}, identity=await identity("secret"))
    # The plan cached for it is the one Gateway.plan finds, keyed by the document alone.
    assert gateway.plan(query) is next(iter(gateway.planner.cache.values()))
    assert gateway.stats.plans_built == 1


async def test_reject_mode_refuses_the_whole_request_without_a_fetch(
    gateway_for: Callable[..., Gateway], identity: Prove, subgraph_queries: Queries
) -> None:
    gateway = gateway_for(reject=True)
    refused = await gateway.execute({"query": '{ public user(id: "u1") { name secret } }'})
    assert refused.response == {"data": None, "errors": unauthorized(["user", "secret"])}
    assert subgraph_queries("accounts") == []
    mutation = await gateway.execute({"query": "mutation { ping wipe }"}, identity=ANONYMOUS)
    assert mutation.response == {"data": None, "errors": unauthorized(["wipe"])}
    assert subgraph_queries("accounts") == []
    served = await gateway.execute(
        {"query": '{ public user(id: "u1") { name secret } }'}, identity=await identity("secret")
    )
    assert served.response == {
        "data": {"public": "hello", "user": {"name": "Ada", "secret": "s3cr3t"}}
    }


async def test_demand_control_costs_the_filtered_operation(
    gateway_for: Callable[..., Gateway], identity: Prove
) -> None:
    # docs: [Doc] at 10 objects is over 3; without a token it is taken out before the cost.
    gateway = gateway_for(demand=DemandControl(DemandSettings(max=3, list_size=10)))
    query = "{ public docs { title } }"
    filtered = await gateway.execute({"query": query})
    assert filtered.response == {
        "data": {"public": "hello", "docs": None},
        "errors": unauthorized(["docs", "@"]),
    }
    whole = await gateway.execute({"query": query}, identity=await identity())
    assert whole.response["errors"][0]["extensions"]["code"] == "COST_ESTIMATED_TOO_EXPENSIVE"


async def test_auth_off_enforces_nothing(supergraph: Supergraph) -> None:
    gateway = Gateway(supergraph)
    try:
        outcome = await gateway.execute({"query": '{ me { name } user(id: "u1") { secret } }'})
    finally:
        await gateway.aclose()
    assert outcome.response == {"data": {"me": {"name": "Ada"}, "user": {"secret": "s3cr3t"}}}


async def test_a_stream_is_filtered_as_a_request(gateway: Gateway) -> None:
    outcome = await gateway.stream({"query": '{ public user(id: "u1") { name secret } }'})
    assert outcome.responses is not None
    responses = [r async for r in outcome.responses]
    assert responses == [
        {
            "data": {"public": "hello", "user": {"name": "Ada", "secret": None}},
            "errors": unauthorized(["user", "secret"]),
        }
    ]
    refused = await gateway.stream({"query": "{ me { name } }"})
    assert refused.refused is not None
    assert refused.refused.response == {"data": None, "errors": unauthorized(["me"])}


# A supergraph as a hand (or another composer) writes it: the directives on an interface and
# its field, and on the Mutation root type, which Apollo's composition does not produce.
HANDWRITTEN = (HERE / "handwritten.graphql").read_text()

ONLY_SDL = """
type Query { public: String shape: Shape things: [Thing] anything: [Any] }
type Mutation { reset: Boolean }
interface Shape { name: String area: Int }
type Square implements Shape { name: String area: Int }
interface Thing { id: ID }
type Open implements Thing { id: ID }
type Guarded implements Thing { id: ID }
union Any = Open | Guarded
"""


def _only() -> dict[str, Subgraph]:
    return {
        "only": make_subgraph(
            "only",
            ONLY_SDL,
            resolvers={
                "Query": {
                    "public": lambda *_: "hello",
                    "shape": lambda *_: {"__typename": "Square", "name": "sq", "area": 4},
                    "things": lambda *_: [
                        {"__typename": "Open", "id": "o"},
                        {"__typename": "Guarded", "id": "g"},
                    ],
                    "anything": lambda *_: [
                        {"__typename": "Open", "id": "o"},
                        {"__typename": "Guarded", "id": "g"},
                    ],
                },
                "Mutation": {"reset": lambda *_: True},
            },
        )
    }


async def _handwritten(
    run_subgraphs: Callable[[str, Callable[[], dict[str, Subgraph]]], Running],
) -> tuple[Gateway, dict[str, Subgraph]]:
    subgraphs, urls = run_subgraphs("authorization-handwritten", _only)
    supergraph = parse_supergraph(supergraph_with_urls(HANDWRITTEN, urls))
    return Gateway(supergraph, authorization=Authorizer()), subgraphs


async def test_an_interface_and_its_field_ask_their_own_requirements(
    run_subgraphs: Callable[[str, Callable[[], dict[str, Subgraph]]], Running], identity: Prove
) -> None:
    gateway, _ = await _handwritten(run_subgraphs)
    try:
        anonymous = await gateway.execute({"query": "{ public shape { name } }"})
        signed = await gateway.execute(
            {"query": "{ shape { name area } }"}, identity=await identity("x")
        )
        geometry = await gateway.execute(
            {"query": "{ shape { name area } }"}, identity=await identity("geometry")
        )
    finally:
        await gateway.aclose()
    assert anonymous.response == {
        "data": {"public": "hello", "shape": None},
        "errors": unauthorized(["shape"]),
    }
    assert signed.response == {
        "data": {"shape": {"name": "sq", "area": None}},
        "errors": unauthorized(["shape", "area"]),
    }
    assert geometry.response == {"data": {"shape": {"name": "sq", "area": 4}}}


async def test_an_implementation_guards_its_interface_even_unpropagated(
    run_subgraphs: Callable[[str, Callable[[], dict[str, Subgraph]]], Running], identity: Prove
) -> None:
    # Thing itself asks nothing, but Guarded does: read as Apollo's composition would have
    # written it (Thing asking Guarded's scopes), a Guarded id cannot leak through Thing.
    gateway, _ = await _handwritten(run_subgraphs)
    try:
        direct = await gateway.execute({"query": "{ public things { id } }"})
        fragments = await gateway.execute(
            {"query": "{ public things { ... on Open { id } ... on Guarded { id } } }"}
        )
        guarded = await gateway.execute(
            {"query": "{ things { id } }"}, identity=await identity("guarded")
        )
    finally:
        await gateway.aclose()
    for refused in (direct, fragments):
        assert refused.response == {
            "data": {"public": "hello", "things": None},
            "errors": unauthorized(["things", "@"]),
        }
    assert guarded.response == {"data": {"things": [{"id": "o"}, {"id": "g"}]}}


async def test_a_fragment_removed_in_one_place_answers_where_it_is_also_allowed(
    run_subgraphs: Callable[[str, Callable[[], dict[str, Subgraph]]], Running],
) -> None:
    # G is spread under "... on Thing" (Thing asks Guarded's scope: removed) and under
    # "... on Open" (allowed): an Open answers its id all the same.
    gateway, _ = await _handwritten(run_subgraphs)
    query = """
      { anything { ... on Thing { ...G } ... on Open { ...G } } }
      fragment G on Open { id }
    """
    try:
        outcome = await gateway.execute({"query": query})
    finally:
        await gateway.aclose()
    assert outcome.response == {
        "data": {"anything": [{"id": "o"}, {}]},
        "errors": unauthorized(["anything", "@", "... on Thing"]),
    }


async def test_a_root_type_requirement_applies_to_its_fields(
    run_subgraphs: Callable[[str, Callable[[], dict[str, Subgraph]]], Running], identity: Prove
) -> None:
    gateway, subgraphs = await _handwritten(run_subgraphs)
    try:
        refused = await gateway.execute({"query": "mutation { reset }"}, identity=await identity())
        sent = list(subgraphs["only"].operations())
        done = await gateway.execute(
            {"query": "mutation { reset }"}, identity=await identity("write")
        )
    finally:
        await gateway.aclose()
    assert refused.response == {"data": None, "errors": unauthorized(["reset"])}
    assert sent == []
    assert done.response == {"data": {"reset": True}}


def _renamed() -> dict[str, Subgraph]:
    sdl = (APOLLO / "renamed" / "subgraphs" / "accounts.graphql").read_text()
    return {
        "accounts": make_subgraph(
            "accounts",
            sdl,
            resolvers={
                "Query": {
                    "public": lambda *_: "hello",
                    "me": lambda *_: {"id": "u1", "name": "Ada"},
                    "secret": lambda *_: "s3cr3t",
                    "ruled": lambda *_: "ruled",
                }
            },
            entities={"User": lambda rep: {"id": rep["id"], "name": "Ada"}},
        )
    }


async def test_renamed_imports_are_enforced(
    run_subgraphs: Callable[[str, Callable[[], dict[str, Subgraph]]], Running], identity: Prove
) -> None:
    _, urls = run_subgraphs("authorization-renamed", _renamed)
    source = (APOLLO / "renamed" / "supergraph.graphql").read_text()
    supergraph = parse_supergraph(supergraph_with_urls(source, urls))
    assert supergraph.authorization.applied == ("@ruled", "@scoped", "@signedIn")
    gateway = Gateway(supergraph, authorization=Authorizer())
    query = "{ public me { name } secret ruled }"
    try:
        anonymous = await gateway.execute({"query": query})
        scoped = await gateway.execute({"query": query}, identity=await identity("secret"))
    finally:
        await gateway.aclose()
    assert anonymous.response == {
        "data": {"public": "hello", "me": None, "secret": None, "ruled": None},
        "errors": unauthorized(["me"], ["secret"], ["ruled"]),
    }
    assert scoped.response == {
        "data": {"public": "hello", "me": {"name": "Ada"}, "secret": "s3cr3t", "ruled": None},
        "errors": unauthorized(["ruled"]),
    }
    # The renamed directives are the supergraph's machinery: clients do not see them.
    assert supergraph.api_schema.get_directive("signedIn") is None
