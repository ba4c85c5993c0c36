"""Automatic persisted queries as Apollo Client's persisted-queries link speaks them, over
POST and GET, with the store in memory or shared in Redis; and a forged registration refused.

The exchanges are the link's, byte for byte in what matters: first the hash alone
(``extensions.persistedQuery {version: 1, sha256Hash}``, GET with ``extensions`` as a JSON
parameter when ``useGETForHashedQueries``), then, on ``PERSISTED_QUERY_NOT_FOUND``, a POST with
the text and the hash; ``test_real_clients.py`` runs the real link against the gateway.
"""

from __future__ import annotations

import time
from typing import Any

import redis

from tests.gateway.documents.conftest import (
    ORDER,
    ORDER_DATA,
    ORDER_VARIABLES,
    PUBLISH,
    GatewayServer,
    metrics,
    persisted,
    sha256,
)
from tests.gateway.documents.transports import over_get, over_post, over_sse
from tests.gateway.subscription_federation import Federation

HASH_ONLY = {"operationName": "Order", "variables": ORDER_VARIABLES, "extensions": persisted(ORDER)}
WITH_TEXT = {**HASH_ONLY, "query": ORDER}
NOT_FOUND = {
    "message": "PersistedQueryNotFound",
    "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
}


def apq_counters(url: str) -> dict[str, float]:
    return {k: v for k, v in metrics(url).items() if k.startswith("apq_")}


def stored_keys(url: str, prefix: str) -> dict[bytes, int]:
    """The APQ keys under ``prefix`` in Redis, with their TTL in seconds."""
    client = redis.Redis.from_url(url)
    try:
        return {key: client.ttl(key) for key in client.scan_iter(match=f"{prefix}apq:*")}
    finally:
        client.close()


def test_hash_only_misses_then_registers_then_hits_over_post(gateway_server: GatewayServer) -> None:
    with gateway_server() as url:
        miss = over_post(url, HASH_ONLY)
        # As Apollo Router answers it: the link retries on the code (or on the message).
        assert miss.status == 200
        assert miss.first == {"errors": [NOT_FOUND]}
        assert miss.headers["cache-control"] == "private, no-cache, must-revalidate"
        assert over_post(url, WITH_TEXT).data == ORDER_DATA
        assert over_post(url, HASH_ONLY).data == ORDER_DATA
        assert apq_counters(url) == {
            "apq_hits": 1,
            "apq_misses": 1,
            "apq_registrations": 1,
            "apq_store_errors": 0,
        }


def test_get_carries_extensions_as_a_json_parameter(gateway_server: GatewayServer) -> None:
    with gateway_server() as url:
        miss = over_get(url, HASH_ONLY)
        assert (miss.status, miss.first) == (200, {"errors": [NOT_FOUND]})
        # The link sends the text by POST, whatever method the hash went by.
        assert over_post(url, WITH_TEXT).data == ORDER_DATA
        hit = over_get(url, HASH_ONLY)
        assert hit.status == 200
        assert hit.data == ORDER_DATA
        assert "cache-control" not in hit.headers  # a result may be cached as usual


def test_a_registration_over_get_works_too(gateway_server: GatewayServer) -> None:
    with gateway_server() as url:
        assert over_get(url, WITH_TEXT).data == ORDER_DATA
        assert over_get(url, HASH_ONLY).data == ORDER_DATA


def test_a_mutation_by_hash_is_still_refused_over_get(
    gateway_server: GatewayServer, federation: Federation
) -> None:
    publish: dict[str, Any] = {
        "variables": {"o": "o-get", "s": 1},
        "extensions": persisted(PUBLISH),
    }
    with gateway_server() as url:
        assert over_post(url, {**publish, "query": PUBLISH}).data == {"publish": {"seq": 1}}
        refused = over_get(url, {**publish, "variables": {"o": "o-get", "s": 2}})
        assert refused.status == 405
        assert refused.codes == ["BAD_REQUEST"]
        refused_sse = over_sse(url, {**publish, "variables": {"o": "o-get", "s": 3}}, method="GET")
        assert refused_sse.status == 405
    assert [seq for order, seq in federation.feed.published if order == "o-get"] == [1]


def test_a_text_that_is_not_its_hash_is_refused_and_not_stored(
    gateway_server: GatewayServer, redis_url: str, redis_prefix: str
) -> None:
    # The poisoning attempt: another operation's hash with the attacker's text, so that later
    # hash-only requests for the real operation would run the attacker's.
    forged = {**HASH_ONLY, "query": "query Order($id: ID!) { lastSeq }"}
    with gateway_server(redis_url=redis_url, redis_prefix=redis_prefix) as url:
        refused = over_post(url, forged)
        assert refused.status == 400
        assert refused.first == {
            "errors": [
                {
                    "message": "provided sha does not match query",
                    "extensions": {"code": "PERSISTED_QUERY_HASH_MISMATCH"},
                }
            ]
        }
        assert stored_keys(redis_url, redis_prefix) == {}
        assert over_post(url, HASH_ONLY).first == {"errors": [NOT_FOUND]}
        assert apq_counters(url)["apq_registrations"] == 0
        # The engine never saw it: nothing was parsed, nothing was fetched.
        assert metrics(url)["parses"] == 0


def test_an_invalid_document_is_answered_but_not_stored(gateway_server: GatewayServer) -> None:
    invalid = "{ order(id: 1) { nope } }"
    with gateway_server() as url:
        answer = over_post(url, {"query": invalid, "extensions": persisted(invalid)})
        assert answer.codes == ["GRAPHQL_VALIDATION_FAILED"]
        again = over_post(url, {"extensions": persisted(invalid)})
        assert again.first == {"errors": [NOT_FOUND]}
        assert apq_counters(url)["apq_registrations"] == 0


def test_malformed_persisted_queries_are_bad_requests(gateway_server: GatewayServer) -> None:
    cases = {
        "Unsupported persisted query version.": {"version": 2, "sha256Hash": sha256(ORDER)},
        "extensions.persistedQuery.sha256Hash must be a hex sha256.": {
            "version": 1,
            "sha256Hash": "not-a-hash",
        },
        "extensions.persistedQuery must be an object.": "abc",
    }
    with gateway_server() as url:
        for message, extension in cases.items():
            refused = over_post(url, {"query": ORDER, "extensions": {"persistedQuery": extension}})
            assert refused.status == 400
            assert refused.first["errors"] == [
                {"message": message, "extensions": {"code": "BAD_REQUEST"}}
            ]
        bad_json = over_get(url, {"extensions": "{not json"})
        assert bad_json.status == 400
        assert bad_json.first["errors"][0]["message"] == "Extensions are not valid JSON."


def test_with_apq_off_the_client_is_told_to_send_its_text(gateway_server: GatewayServer) -> None:
    with gateway_server(apq=False) as url:
        for body in (HASH_ONLY, WITH_TEXT):
            refused = over_post(url, body)
            assert refused.first == {
                "errors": [
                    {
                        "message": "PersistedQueryNotSupported",
                        "extensions": {"code": "PERSISTED_QUERY_NOT_SUPPORTED"},
                    }
                ]
            }
        # What the link does next: the text alone, which runs.
        assert over_post(url, {"query": ORDER, "variables": ORDER_VARIABLES}).data == ORDER_DATA


def test_gateways_sharing_redis_share_registrations(
    gateway_server: GatewayServer, redis_url: str, redis_prefix: str
) -> None:
    shared = {"redis_url": redis_url, "redis_prefix": redis_prefix, "apq_ttl": 600.0}
    with gateway_server(**shared) as first, gateway_server(**shared) as second:
        assert over_post(first, WITH_TEXT).data == ORDER_DATA
        assert over_post(second, HASH_ONLY).data == ORDER_DATA
        assert apq_counters(second)["apq_hits"] == 1
    keys = stored_keys(redis_url, redis_prefix)
    assert list(keys) == [f"{redis_prefix}apq:{sha256(ORDER)}".encode()]
    assert 0 < keys[f"{redis_prefix}apq:{sha256(ORDER)}".encode()] <= 600


def test_with_redis_down_registrations_live_in_memory(
    gateway_server: GatewayServer, dead_redis_url: str
) -> None:
    with gateway_server(redis_url=dead_redis_url, apq_redis_retry_interval=0) as url:
        started = time.monotonic()
        assert over_post(url, HASH_ONLY).first == {"errors": [NOT_FOUND]}
        assert over_post(url, WITH_TEXT).data == ORDER_DATA
        assert over_post(url, HASH_ONLY).data == ORDER_DATA
        # Refused connections fail at once: no request waited out a timeout.
        assert time.monotonic() - started < 5
        counters = apq_counters(url)
    assert counters["apq_hits"] == 1
    assert counters["apq_registrations"] == 1
    # The miss's lookup and the registration's write both failed in Redis.
    assert counters["apq_store_errors"] == 2
