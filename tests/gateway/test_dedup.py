"""Identical requests in flight at once share work: a query shares one execution with the
identical queries already running, a subgraph fetch one HTTP call with the identical fetches
in flight; mutations, other variables and other tokens never share.

The ``stock`` subgraph (``tests.support.gated``) holds every answer at a gate, so the test
knows the requests were in flight together when it counts what the subgraph received.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import orjson
import pytest

from gateway.auth import Identity
from gateway.engine import Gateway
from gateway.executor import SubgraphTransport, TransportSettings
from gateway.supergraph import parse_supergraph
from gateway.wire import GraphQLRequest
from tests.support.gated import LEVEL, RESTOCK, Stock, running_stock, served_gateway
from tests.support.waiting import wait_until_async


@pytest.fixture(scope="module")
def stock() -> Iterator[Stock]:
    with running_stock() as stock:
        yield stock


@pytest.fixture(autouse=True)
def shut_gate(stock: Stock) -> Iterator[None]:
    with stock.shut():
        yield


def engine(stock: Stock, *, share_queries: bool = True, share_fetches: bool = True) -> Gateway:
    return Gateway(
        parse_supergraph(stock.supergraph),
        transport=SubgraphTransport(TransportSettings(share_fetches=share_fetches)),
        share_queries=share_queries,
    )


def level(sku: str) -> GraphQLRequest:
    return {"query": LEVEL, "variables": {"sku": sku}}


async def test_identical_queries_in_flight_share_one_execution(stock: Stock) -> None:
    gateway = engine(stock)
    try:
        runs = [asyncio.ensure_future(gateway.execute(level("A"))) for _ in range(10)]
        await stock.held_async(1)
        await asyncio.sleep(0)  # every request has reached the gateway's sharing
        assert gateway.stats.queries_shared == 9
        stock.gate.open()
        outcomes = await asyncio.gather(*runs)
    finally:
        await gateway.aclose()
    assert [o.response for o in outcomes] == [{"data": {"level": 7}}] * 10
    assert stock.received() == 1
    # Each caller has its own response: changing one changes no other.
    outcomes[0].response["extensions"] = {"mine": True}
    assert "extensions" not in outcomes[1].response


async def test_a_query_after_the_shared_one_finished_runs_again(stock: Stock) -> None:
    stock.gate.open()
    gateway = engine(stock)
    try:
        first = await gateway.execute(level("A"))
        second = await gateway.execute(level("A"))
    finally:
        await gateway.aclose()
    assert first.response == second.response == {"data": {"level": 7}}
    assert stock.received() == 2
    assert gateway.stats.queries_shared == 0


async def test_other_variables_and_other_tokens_do_not_share(stock: Stock) -> None:
    gateway = engine(stock)
    ann, bob = Identity(token="ann-token", subject="ann"), Identity(token="bob-token")
    try:
        runs = [
            asyncio.ensure_future(gateway.execute(level("A"), identity=ann)),
            asyncio.ensure_future(gateway.execute(level("A"), identity=bob)),
            asyncio.ensure_future(gateway.execute(level("B"), identity=ann)),
            asyncio.ensure_future(gateway.execute(level("A"))),
        ]
        await stock.held_async(4)
        stock.gate.open()
        outcomes = await asyncio.gather(*runs)
    finally:
        await gateway.aclose()
    assert [o.response for o in outcomes] == [{"data": {"level": n}} for n in (7, 7, 3, 7)]
    assert stock.received() == 4
    assert gateway.stats.queries_shared == 0
    assert gateway.transport.fetches_shared == 0


async def test_mutations_never_share(stock: Stock) -> None:
    gateway = engine(stock)
    before = stock.levels["A"]
    try:
        runs = [asyncio.ensure_future(gateway.execute({"query": RESTOCK})) for _ in range(3)]
        await stock.held_async(3)
        stock.gate.open()
        outcomes = await asyncio.gather(*runs)
    finally:
        await gateway.aclose()
    # Each ran: the level went up three times, once per mutation, each seeing its own.
    answers = {str(o.response) for o in outcomes}
    assert answers == {str({"data": {"restock": before + n}}) for n in (1, 2, 3)}
    assert stock.received() == 3


async def test_the_shared_execution_outlives_a_caller_that_leaves(stock: Stock) -> None:
    gateway = engine(stock)
    try:
        leaving = asyncio.ensure_future(gateway.execute(level("A")))
        staying = asyncio.ensure_future(gateway.execute(level("A")))
        await stock.held_async(1)
        leaving.cancel()
        with pytest.raises(asyncio.CancelledError):
            await leaving
        stock.gate.open()
        outcome = await staying
    finally:
        await gateway.aclose()
    assert outcome.response == {"data": {"level": 7}}
    assert stock.received() == 1


async def test_when_its_last_caller_leaves_the_execution_stops(stock: Stock) -> None:
    gateway = engine(stock)
    try:
        callers = [asyncio.ensure_future(gateway.execute(level("A"))) for _ in range(2)]
        await stock.held_async(1)
        for caller in callers:
            caller.cancel()
        await asyncio.gather(*callers, return_exceptions=True)
        # Nothing is left running to share: the next identical query starts its own.
        again = asyncio.ensure_future(gateway.execute(level("A")))

        async def reached_the_subgraph() -> bool:
            return stock.received() == 2

        await wait_until_async(reached_the_subgraph, timeout=10, what="a second stock fetch")
        stock.gate.open()
        outcome = await again
    finally:
        await gateway.aclose()
    assert outcome.response == {"data": {"level": 7}}
    assert stock.received() == 2
    assert gateway.stats.queries_shared == 1


async def test_identical_fetches_share_one_call_with_query_sharing_off(stock: Stock) -> None:
    gateway = engine(stock, share_queries=False)
    try:
        runs = [asyncio.ensure_future(gateway.execute(level("A"))) for _ in range(5)]
        await stock.held_async(1)
        stock.gate.open()
        outcomes = await asyncio.gather(*runs)
    finally:
        await gateway.aclose()
    assert [o.response for o in outcomes] == [{"data": {"level": 7}}] * 5
    assert stock.received() == 1
    assert gateway.stats.queries_shared == 0
    assert gateway.transport.fetches_shared == 4


async def test_with_both_off_every_request_is_its_own(stock: Stock) -> None:
    gateway = engine(stock, share_queries=False, share_fetches=False)
    try:
        runs = [asyncio.ensure_future(gateway.execute(level("A"))) for _ in range(5)]
        await stock.held_async(5)
        stock.gate.open()
        outcomes = await asyncio.gather(*runs)
    finally:
        await gateway.aclose()
    assert [o.response for o in outcomes] == [{"data": {"level": 7}}] * 5
    assert stock.received() == 5


@pytest.fixture
async def gateway_url(stock: Stock) -> AsyncIterator[str]:
    with served_gateway(engine(stock)) as url:
        yield url


async def metric(client: httpx.AsyncClient, name: str) -> float:
    text = (await client.get("/metrics")).text
    line = next(line for line in text.splitlines() if line.startswith(f"{name} "))
    return float(line.split(" ")[1])


async def test_over_http_shared_queries_are_counted_and_a_hung_up_client_leaves(
    stock: Stock, gateway_url: str
) -> None:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as client:
        body = dict(level("B"))
        posts = [asyncio.ensure_future(client.post("/graphql", json=body)) for _ in range(4)]
        await stock.held_async(1)

        async def all_shared() -> bool:
            return await metric(client, "crossdock_gateway_queries_shared_total") == 3

        await wait_until_async(all_shared, timeout=10, what="3 shared queries")
        # One client hangs up; the others still get the answer.
        posts[0].cancel()
        stock.gate.open()
        answers = await asyncio.gather(*posts[1:])
        assert [a.json() for a in answers] == [{"data": {"level": 3}}] * 3
        assert await metric(client, "crossdock_gateway_subgraph_fetches_shared_total") == 0
    assert stock.received() == 1


async def test_a_shared_response_is_encoded_once_for_all_its_callers(stock: Stock) -> None:
    gateway = engine(stock)
    encoded: list[object] = []

    def encoder(response: Any) -> bytes:
        encoded.append(response)
        return orjson.dumps(response)

    try:
        runs = [asyncio.ensure_future(gateway.execute(level("A"))) for _ in range(5)]
        await stock.held_async(1)
        stock.gate.open()
        outcomes = await asyncio.gather(*runs)
        alone = await gateway.execute(level("B"))
    finally:
        await gateway.aclose()
    bodies = [o.body.encode(o.response, encoder) for o in outcomes if o.body is not None]
    assert bodies == [b'{"data":{"level":7}}'] * 5
    assert len(encoded) == 1
    # A caller that changed its response's top level gets its own bytes.
    mine = outcomes[0]
    mine.response["extensions"] = {"mine": True}
    assert mine.body is not None
    assert orjson.loads(mine.body.encode(mine.response, encoder))["extensions"] == {"mine": True}
    assert len(encoded) == 2
    # A query that ran alone (it may still share) is shared by nobody: its own bytes too.
    assert alone.response == {"data": {"level": 3}}


async def test_every_caller_of_a_shared_execution_counts_its_actual_cost(stock: Stock) -> None:
    with served_gateway(engine(stock)) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            before = await metric(client, "crossdock_gateway_cost_actual_count")
            posts = [
                asyncio.ensure_future(client.post("/graphql", json=dict(level("A"))))
                for _ in range(4)
            ]
            await stock.held_async(1)

            async def all_shared() -> bool:
                return await metric(client, "crossdock_gateway_queries_shared_total") == 3

            await wait_until_async(all_shared, timeout=10, what="3 shared queries")
            stock.gate.open()
            answers = await asyncio.gather(*posts)
            assert [a.content for a in answers] == [b'{"data":{"level":7}}'] * 4
            assert await metric(client, "crossdock_gateway_cost_actual_count") == before + 4
    assert stock.received() == 1


async def test_a_redacting_gateway_shares_redacted_errors(stock: Stock) -> None:
    gateway = Gateway(parse_supergraph(stock.supergraph), share_queries=True, redact_errors=True)
    try:
        # No such sku: the subgraph's resolver fails (a KeyError naming it).
        runs = [asyncio.ensure_future(gateway.execute(level("Z"))) for _ in range(3)]
        await stock.held_async(1)
        stock.gate.open()
        outcomes = await asyncio.gather(*runs)
    finally:
        await gateway.aclose()
    assert gateway.stats.queries_shared == 2
    for outcome in outcomes:
        [error] = outcome.response["errors"]
        assert "KeyError" not in str(error) and "'Z'" not in error["message"]
        assert error["extensions"]["code"] == "SUBGRAPH_ERROR"
