"""Reference data shared through the real Redis by two replicas of each subgraph.

What an operator of several replicas observes: reference data (products, price lists and
customers' terms, accounts, distribution centers) that replica 1 read is in Redis under the
configured prefix with a TTL, and replica 2 answers the same questions without asking its
system (counted by the system's ``GET /_admin/stats``); live data (orders, credit, contacts,
inventory, shipments) still goes to the system from either replica. Subgraphs over another
dataset (another seed) sharing the same Redis and prefix never read those entries.
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
from systems.apps import create_system_app
from systems.seeding import seed_all
from systems.world import build_world
from systems.world_records import World
from tests.support.graphql import data, route_counts
from tests.support.redis import require_redis, unique_prefix
from tests.support.servers import serve
from tests.support.subgraphs import own_subgraph

OTHER_SEED = 11


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


def ref_key(settings: Settings, prefix: str, namespace: str, key: str) -> str:
    """Where a subgraph over ``settings`` keeps reference entry ``key`` under ``prefix``."""
    keys = settings.model_copy(update={"cache_prefix": prefix}).reference_cache_prefix
    return f"{keys}ref:{namespace}:{key}"


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

        item = assert_cached(store, ref_key(settings, prefix, ITEMS_NAMESPACE, product.sku), ttl)
        assert item["itemId"] == product.sku
        assert_cached(store, ref_key(settings, prefix, CUSTOMER_TERMS_NAMESPACE, account.id), ttl)
        assert_cached(
            store, ref_key(settings, prefix, PRICE_LEVELS_NAMESPACE, account.price_list_id), ttl
        )

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

        key = ref_key(settings, prefix, ACCOUNTS_NAMESPACE, account.id)
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
            cached = assert_cached(store, ref_key(settings, prefix, CENTER_NAMESPACE, each.id), ttl)
            assert cached["facility_id"] == each.id
        codes = assert_cached(store, ref_key(settings, prefix, CENTER_LIST_NAMESPACE, ALL), ttl)
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


@pytest.fixture(scope="module")
def other_erp_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An ERP seeded with another seed: the same SKUs, other names and prices."""
    other = Settings(data_dir=tmp_path_factory.mktemp("other-seed"), seed=OTHER_SEED)
    seed_all(other.systems, reset=True)
    with serve(create_system_app("erp", other.systems)) as url:
        yield url


def test_subgraphs_over_other_data_never_read_each_others_entries(
    settings: Settings, other_erp_url: str, prefix: str, store: redis.Redis, world: World
) -> None:
    other_world = build_world(OTHER_SEED)
    sku = world.products[17].sku
    ours = world.products[17].name
    theirs = next(p.name for p in other_world.products if p.sku == sku)
    assert ours != theirs, "the two datasets must tell the SKU apart"
    other = settings.model_copy(update={"seed": OTHER_SEED, "erp_url": other_erp_url})
    shared: dict[str, Any] = {"redis_url": require_redis(), "cache_prefix": prefix}
    document = "query($sku: String!) { product(sku: $sku) { sku name } }"
    with ExitStack() as stack:
        seven = stack.enter_context(own_subgraph("erp", settings, **shared))
        eleven = stack.enter_context(own_subgraph("erp", other, **shared))

        assert data(seven, document, {"sku": sku})["product"]["name"] == ours
        assert store.get(ref_key(other, prefix, ITEMS_NAMESPACE, sku)) is None
        assert data(eleven, document, {"sku": sku})["product"]["name"] == theirs
        # Each cached its own, under its own data's identity, and each still answers its own.
        for each, name in ((settings, ours), (other, theirs)):
            assert store.get(ref_key(each, prefix, ITEMS_NAMESPACE, sku)) is not None, name
        assert data(seven, document, {"sku": sku})["product"]["name"] == ours
        assert data(eleven, document, {"sku": sku})["product"]["name"] == theirs

    identities = {
        each.model_copy(update={"cache_prefix": prefix}).reference_cache_prefix
        for each in (settings, other)
    }
    assert len(identities) == 2
    keys = [key.decode() for key in store.scan_iter(match=f"{prefix}*")]
    assert keys and all(key.startswith(tuple(identities)) for key in keys), keys
