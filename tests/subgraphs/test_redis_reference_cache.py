"""Reference data shared through the real Redis by two replicas of each subgraph.

What an operator of several replicas observes: reference data (products, price lists and
customers' terms, accounts, distribution centers) that replica 1 read is in Redis under the
configured prefix with a TTL, and replica 2 answers the same questions without asking its
system (counted by the system's ``GET /_admin/stats``); live data (orders, credit, contacts,
inventory, shipments) still goes to the system from either replica.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import orjson
import pytest
import redis

from crossdock.settings import Settings
from subgraphs.apps import SubgraphName
from subgraphs.crm.app import ACCOUNTS_NAMESPACE
from subgraphs.erp.app import CUSTOMER_TERMS_NAMESPACE, ITEMS_NAMESPACE, PRICE_LEVELS_NAMESPACE
from subgraphs.wms.directory import ALL, CENTER_LIST_NAMESPACE, CENTER_NAMESPACE
from systems.world_records import World
from tests.support.graphql import data, route_counts
from tests.support.redis import require_redis, unique_prefix
from tests.support.subgraphs import own_subgraph


@pytest.fixture
def prefix() -> Iterator[str]:
    """A cache prefix of this test's own in the real Redis, emptied afterwards."""
    with unique_prefix(require_redis()) as prefix:
        yield prefix


@pytest.fixture
def store(prefix: str) -> Iterator[redis.Redis]:
    """A plain client of the same Redis, to look at what the replicas stored."""
    client = redis.Redis.from_url(require_redis())
    try:
        yield client
    finally:
        client.close()


def replicas(
    stack: ExitStack, name: SubgraphName, settings: Settings, prefix: str
) -> tuple[httpx.Client, httpx.Client]:
    """Two replicas of subgraph ``name`` sharing Redis under ``prefix`` (nothing else shared)."""
    shared: dict[str, Any] = {"redis_url": require_redis(), "cache_prefix": prefix}
    one = stack.enter_context(own_subgraph(name, settings, **shared))
    two = stack.enter_context(own_subgraph(name, settings, **shared))
    return one, two


def calls(admin: httpx.Client, before: Counter[str]) -> Counter[str]:
    """The system's requests since ``before``, by route."""
    return route_counts(admin) - before


def assert_cached(store: redis.Redis, key: str, ttl: int) -> Any:
    """The JSON record under ``key``, which must exist and expire within ``ttl`` seconds."""
    raw = store.get(key)
    assert raw is not None, f"nothing in Redis under {key}"
    remaining = store.pttl(key)
    assert 0 < remaining <= ttl * 1000, (key, remaining)
    return orjson.loads(raw)


def test_erp_replicas_share_products_price_lists_and_terms(
    settings: Settings, erp_admin: httpx.Client, prefix: str, store: redis.Redis, world: World
) -> None:
    product = world.products[17]
    account = world.accounts[11]
    reference = """
    query($sku: String!, $reps: [_Any!]!) {
      product(sku: $sku) { sku name listPrice { amount } }
      _entities(representations: $reps) {
        ... on Account { id paymentTerms priceList { id name } }
      }
    }
    """
    variables = {"sku": product.sku, "reps": [{"__typename": "Account", "id": account.id}]}
    ttl = settings.reference_cache_ttl_seconds
    with ExitStack() as stack:
        one, two = replicas(stack, "erp", settings, prefix)
        before = route_counts(erp_admin)
        first = data(one, reference, variables)
        assert calls(erp_admin, before), "replica 1 started cold, so it asked the ERP"

        item = assert_cached(store, f"{prefix}ref:{ITEMS_NAMESPACE}:{product.sku}", ttl)
        assert item["itemId"] == product.sku
        assert_cached(store, f"{prefix}ref:{CUSTOMER_TERMS_NAMESPACE}:{account.id}", ttl)
        assert_cached(store, f"{prefix}ref:{PRICE_LEVELS_NAMESPACE}:{account.price_list_id}", ttl)

        before = route_counts(erp_admin)
        assert data(two, reference, variables) == first
        assert calls(erp_admin, before) == Counter(), "replica 2 answered from Redis"

        # Orders and credit are live: both replicas ask the ERP every time.
        order = world.orders[5]
        live = """
        query($id: ID!, $reps: [_Any!]!) {
          order(id: $id) { id number }
          _entities(representations: $reps) { ... on Account { creditExposure { amount } } }
        }
        """
        live_variables = {"id": order.id, "reps": variables["reps"]}
        for replica in (two, one):
            before = route_counts(erp_admin)
            answer = data(replica, live, live_variables)
            assert answer["order"] == {"id": order.id, "number": order.number}
            assert len(calls(erp_admin, before)) == 2, "the order and the credit, each live"


def test_crm_replicas_share_accounts(
    settings: Settings, crm_admin: httpx.Client, prefix: str, store: redis.Redis, world: World
) -> None:
    account = world.accounts[23]
    reference = "query($id: ID!) { account(id: $id) { id name number tier } }"
    with ExitStack() as stack:
        one, two = replicas(stack, "crm", settings, prefix)
        before = route_counts(crm_admin)
        first = data(one, reference, {"id": account.id})
        assert first["account"]["name"] == account.name
        assert calls(crm_admin, before)

        key = f"{prefix}ref:{ACCOUNTS_NAMESPACE}:{account.id}"
        assert assert_cached(store, key, settings.reference_cache_ttl_seconds)["Id"] == account.id

        before = route_counts(crm_admin)
        assert data(two, reference, {"id": account.id}) == first
        assert calls(crm_admin, before) == Counter()

        # Contacts are not reference data: replica 2 asks the CRM for them.
        before = route_counts(crm_admin)
        contacts = data(
            two, "query($id: ID!) { account(id: $id) { contacts { id } } }", {"id": account.id}
        )
        assert {c["id"] for c in contacts["account"]["contacts"]} == {
            c.id for c in world.contacts if c.account_id == account.id
        }
        assert list(calls(crm_admin, before)) == ["GET /contacts"]


def test_wms_replicas_share_distribution_centers(
    settings: Settings, wms_admin: httpx.Client, prefix: str, store: redis.Redis, world: World
) -> None:
    center = world.centers[2]
    reference = """
    query($id: ID!) { distributionCenter(id: $id) { id name } distributionCenters { id } }
    """
    ttl = settings.reference_cache_ttl_seconds
    with ExitStack() as stack:
        one, two = replicas(stack, "wms", settings, prefix)
        before = route_counts(wms_admin)
        first = data(one, reference, {"id": center.id})
        assert first["distributionCenter"] == {"id": center.id, "name": center.name}
        assert list(calls(wms_admin, before)) == ["GET /facilities"]

        for each in world.centers:
            cached = assert_cached(store, f"{prefix}ref:{CENTER_NAMESPACE}:{each.id}", ttl)
            assert cached["facility_id"] == each.id
        codes = assert_cached(store, f"{prefix}ref:{CENTER_LIST_NAMESPACE}:{ALL}", ttl)
        assert codes == sorted(c.id for c in world.centers)

        before = route_counts(wms_admin)
        assert data(two, reference, {"id": center.id}) == first
        assert calls(wms_admin, before) == Counter()

        # Inventory and shipments are live: replica 2 asks the WMS, and again next time.
        sku = world.products[3].sku
        shipment = world.shipments[4]
        live = """
        query($reps: [_Any!]!, $shipment: ID!) {
          _entities(representations: $reps) { ... on Product { inventory { available } } }
          shipment(id: $shipment) { id }
        }
        """
        live_variables = {"reps": [{"__typename": "Product", "sku": sku}], "shipment": shipment.id}
        for _ in range(2):
            before = route_counts(wms_admin)
            answer = data(two, live, live_variables)
            assert answer["shipment"] == {"id": shipment.id}
            assert calls(wms_admin, before) == Counter({"GET /inventory": 1, "GET /shipments": 1})
