"""SystemClient against a fake system on loopback: answers, failures, retries, batches."""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from connectors import (
    SystemCallError,
    SystemClient,
    SystemResponseInvalid,
    SystemUnavailable,
    sendable_id,
    system_client,
)
from crossdock.settings import Settings
from tests.support.fake_system import (
    CLIENT_TIMEOUT,
    MAX_RETRY_AFTER,
    PATIENT_TIMEOUT,
    FakeSystem,
    fake_system_client,
)
from tests.support.ports import reserve_port

# What a call may take beyond its timeout: scheduling and closing on a loaded machine.
MARGIN = 0.3


async def test_get_json_returns_the_parsed_body(client: SystemClient) -> None:
    assert await client.get_json("/items/A1") == {"id": "A1", "name": "Item A1"}
    assert client.calls == 1


async def test_get_json_sends_params(client: SystemClient, fake_system: FakeSystem) -> None:
    body = await client.get_json("/items", {"ids": "A,B", "limit": 5})
    assert [item["id"] for item in body["items"]] == ["A", "B"]
    assert fake_system.queries("/items") == ["ids=A%2CB&limit=5"]


async def test_empty_body_is_none(client: SystemClient) -> None:
    assert await client.get_json("/empty") is None


async def test_404_is_none_when_the_caller_allows_it(client: SystemClient) -> None:
    assert await client.get_json("/items/missing", not_found_ok=True) is None


async def test_404_is_invalid_otherwise(client: SystemClient) -> None:
    with pytest.raises(SystemResponseInvalid) as raised:
        await client.get_json("/items/missing")
    assert raised.value.system == "erp"
    assert raised.value.message == "erp answered 404"


async def test_unexpected_4xx_is_invalid(client: SystemClient) -> None:
    with pytest.raises(SystemResponseInvalid, match="erp answered 400"):
        await client.get_json("/bad-request")


async def test_5xx_is_unavailable_without_the_body(client: SystemClient) -> None:
    with pytest.raises(SystemUnavailable) as raised:
        await client.get_json("/unavailable")
    assert str(raised.value) == "erp answered 503"
    assert client.calls == 1  # a 5xx is not retried


async def test_non_json_body_is_invalid(client: SystemClient) -> None:
    with pytest.raises(SystemResponseInvalid, match="not JSON"):
        await client.get_json("/not-json")


async def test_429_is_retried_with_capped_retry_after(
    client: SystemClient, fake_system: FakeSystem
) -> None:
    started = time.monotonic()
    assert await client.get_json("/flaky", {"key": "once"}) == {"ok": True}
    # Retry-After: 1 was capped at max_retry_after (0.05s).
    assert time.monotonic() - started < 0.9
    assert fake_system.hits("/flaky") == 2
    assert client.calls == 2


async def test_429_after_the_retries_is_unavailable(
    client: SystemClient, fake_system: FakeSystem
) -> None:
    with pytest.raises(SystemUnavailable, match=r"erp is rate limiting \(429\) after 3 attempts"):
        await client.get_json("/limited")
    assert fake_system.hits("/limited") == 3  # the first try and max_retries=2 retries
    assert client.calls == 3


async def test_a_short_429_burst_is_ridden_out(
    client: SystemClient, fake_system: FakeSystem
) -> None:
    started = time.monotonic()
    assert await client.get_json("/burst", {"times": 2}) == {"ok": True}
    assert time.monotonic() - started < CLIENT_TIMEOUT
    assert fake_system.hits("/burst") == 3  # two 429s, each retried, then the answer


class _Recording(random.Random):
    """A Random that records the jitter asked for and always gives its largest value."""

    def __init__(self) -> None:
        super().__init__(0)
        self.asked: list[tuple[float, float]] = []

    def uniform(self, a: float, b: float) -> float:
        self.asked.append((a, b))
        return b


async def test_waits_before_retries_are_jittered_never_shorter_than_asked(
    fake_system: FakeSystem,
) -> None:
    rng = _Recording()
    client = fake_system_client(fake_system, max_retries=2, rng=rng)
    try:
        started = time.monotonic()
        assert await client.get_json("/burst", {"times": 2}) == {"ok": True}
        elapsed = time.monotonic() - started
    finally:
        await client.aclose()
    # Retry-After: 1, capped at MAX_RETRY_AFTER, then stretched by up to a quarter.
    assert rng.asked == [(0.0, 0.25), (0.0, 0.25)]
    assert elapsed >= 2 * MAX_RETRY_AFTER * 1.25


async def test_jitter_spreads_the_retries_of_concurrent_callers(fake_system: FakeSystem) -> None:
    rng = _Drawn(7)
    client = fake_system_client(fake_system, max_retries=1, rng=rng)
    try:
        keys = [f"caller-{i}" for i in range(8)]
        answers = await asyncio.gather(
            *(client.get_json("/burst", {"times": 1, "key": key}) for key in keys)
        )
    finally:
        await client.aclose()
    assert answers == [{"ok": True}] * len(keys)
    # Eight callers turned away at once wait eight different times before coming back.
    assert len(rng.drawn) == len(keys)
    assert len(set(rng.drawn)) == len(keys)
    assert all(0.0 <= stretch <= 0.25 for stretch in rng.drawn)


class _Drawn(random.Random):
    """A seeded Random that keeps what it drew."""

    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.drawn: list[float] = []

    def uniform(self, a: float, b: float) -> float:
        value = super().uniform(a, b)
        self.drawn.append(value)
        return value


async def test_a_rate_limited_system_fails_within_the_timeout(fake_system: FakeSystem) -> None:
    # Ten retries of 0.2s each would take 2s; the call as a whole has CLIENT_TIMEOUT (0.5s).
    client = fake_system_client(fake_system, max_retries=10, max_retry_after=0.2)
    try:
        started = time.monotonic()
        with pytest.raises(SystemUnavailable, match=r"erp is rate limiting \(429\)"):
            await client.get_json("/limited")
        elapsed = time.monotonic() - started
    finally:
        await client.aclose()
    assert elapsed < CLIENT_TIMEOUT + MARGIN
    assert 1 < fake_system.hits("/limited") < 11


async def test_a_retry_after_beyond_the_deadline_fails_at_once(fake_system: FakeSystem) -> None:
    # Retry-After: 1 is honoured (cap 2s) but does not fit in CLIENT_TIMEOUT: no use waiting.
    client = fake_system_client(fake_system, max_retries=2, max_retry_after=2.0)
    try:
        started = time.monotonic()
        with pytest.raises(SystemUnavailable) as raised:
            await client.get_json("/limited")
        elapsed = time.monotonic() - started
    finally:
        await client.aclose()
    assert raised.value.message == f"erp is rate limiting (429) past the {CLIENT_TIMEOUT}s timeout"
    assert elapsed < CLIENT_TIMEOUT
    assert fake_system.hits("/limited") == 1


async def test_timeout_is_unavailable_within_the_timeout(client: SystemClient) -> None:
    started = time.monotonic()
    with pytest.raises(SystemUnavailable) as raised:
        await client.get_json("/slow")
    elapsed = time.monotonic() - started
    assert raised.value.message == f"erp timed out after {CLIENT_TIMEOUT}s"
    assert CLIENT_TIMEOUT * 0.9 <= elapsed < CLIENT_TIMEOUT + 1.0


async def test_connection_refused_is_unavailable() -> None:
    port = reserve_port()  # nothing listens there
    client = SystemClient(
        "crm", f"http://127.0.0.1:{port}", timeout=2.0, max_retries=0, max_retry_after=0
    )
    try:
        with pytest.raises(SystemUnavailable) as raised:
            await client.get_json("/accounts")
    finally:
        await client.aclose()
    assert raised.value.message == "crm could not be reached"
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


@pytest.mark.parametrize(
    ("base_url", "message"),
    [
        ("http://256.1.1.1:80", "crm is configured with an invalid URL"),
        ("http://[::1", "crm is configured with an invalid URL"),
        # Not taken modulo 65536 (to whatever listens on 34463, or on 0).
        ("http://127.0.0.1:99999", "crm is configured with an invalid URL"),
        ("http://127.0.0.1:65536", "crm is configured with an invalid URL"),
        # Not http(s): nothing it names could be called (http1 refuses it with the URL).
        ("ftp://127.0.0.1", "crm is configured with an invalid URL"),
    ],
)
async def test_a_bad_url_is_unavailable_not_a_crash(base_url: str, message: str) -> None:
    client = SystemClient("crm", base_url, timeout=2.0, max_retries=0, max_retry_after=0)
    try:
        with pytest.raises(SystemUnavailable) as raised:
            await client.get_json("/accounts")
    finally:
        await client.aclose()
    assert raised.value.message == message
    assert raised.value.__cause__ is None and raised.value.__suppress_context__


async def test_post_json_sends_and_returns_json(client: SystemClient) -> None:
    assert await client.post_json("/echo", {"sku": "SKU-1", "qty": 2}) == {
        "received": {"sku": "SKU-1", "qty": 2}
    }


async def test_post_json_returns_the_body_of_an_accepted_status(client: SystemClient) -> None:
    assert await client.post_json("/conflict", {}, accept={409}) == {"error": "duplicate"}
    with pytest.raises(SystemResponseInvalid, match="erp answered 409"):
        await client.post_json("/conflict", {})


async def test_request_reports_the_status(client: SystemClient) -> None:
    response = await client.request("POST", "/echo", json=[1])
    assert (response.status, response.body) == (201, {"received": [1]})


async def test_get_many_batches_concurrently(client: SystemClient, fake_system: FakeSystem) -> None:
    ids = [f"I{n}" for n in range(7)]
    items = await client.get_many("/items", [*ids, "I0"], batch_size=3, items_key="items")
    assert [item["id"] for item in items] == ids
    assert sorted(fake_system.queries("/items")) == [
        "ids=I0%2CI1%2CI2",
        "ids=I3%2CI4%2CI5",
        "ids=I6",
    ]


async def test_get_many_with_param_extra_and_extractor(
    client: SystemClient, fake_system: FakeSystem
) -> None:
    items = await client.get_many(
        "/items",
        ["A", "missing"],
        param="ids",
        extra={"view": "full"},
        items_key=lambda body: body["items"],
    )
    assert items == [{"id": "A", "name": "Item A"}]
    assert fake_system.queries("/items") == ["view=full&ids=A%2Cmissing"]


async def test_get_many_without_ids_sends_nothing(client: SystemClient) -> None:
    assert await client.get_many("/items", [], items_key="items") == []
    assert client.calls == 0


async def test_get_many_never_sends_an_id_that_cannot_name_a_record(
    client: SystemClient, fake_system: FakeSystem
) -> None:
    items = await client.get_many("/items", ["A1", "B,2", "", "x" * 65, "C 3"], items_key="items")
    assert items == [{"id": "A1", "name": "Item A1"}]
    assert fake_system.queries("/items") == ["ids=A1"]
    assert await client.get_many("/items", ["a,b", "../x"], items_key="items") == []
    assert client.calls == 1


@pytest.mark.parametrize(
    ("value", "sendable"),
    [("001CD000000000AAA", True), ("SKU-10001", True), ("so.1_x", True), ("x" * 64, True),
     ("", False), ("x" * 65, False), ("a,b", False), ("a b", False), ("é", False)],
)  # fmt: skip
def test_sendable_id(value: str, sendable: bool) -> None:
    assert sendable_id(value) is sendable


async def test_get_many_checks_the_items(client: SystemClient) -> None:
    with pytest.raises(SystemResponseInvalid, match="expected list"):
        await client.get_many("/items", ["A"], items_key="count")


async def test_get_many_raises_the_batch_failure(client: SystemClient) -> None:
    with pytest.raises(SystemUnavailable, match="erp answered 503"):
        await client.get_many("/unavailable", ["A", "B", "C"], batch_size=1, items_key="items")


async def test_concurrent_calls_share_one_client(client: SystemClient) -> None:
    bodies = await asyncio.gather(*(client.get_json(f"/items/{n}") for n in range(20)))
    assert [body["id"] for body in bodies] == [str(n) for n in range(20)]
    assert client.calls == 20


async def test_client_reopens_after_aclose(client: SystemClient) -> None:
    await client.get_json("/items/A")
    await client.aclose()
    assert await client.get_json("/items/B") == {"id": "B", "name": "Item B"}


def test_errors_form_one_hierarchy() -> None:
    assert issubclass(SystemUnavailable, SystemCallError)
    assert issubclass(SystemResponseInvalid, SystemCallError)
    error = SystemUnavailable("wms", "wms answered 502")
    assert (error.system, error.message, str(error)) == (
        "wms",
        "wms answered 502",
        "wms answered 502",
    )


def test_system_client_follows_the_settings() -> None:
    settings = Settings(
        erp_url="http://127.0.0.1:9/",
        system_timeout_seconds=2.5,
        system_max_retries=4,
        system_max_retry_after_seconds=0.25,
        system_max_connections=3,
    )
    client = system_client("erp", settings.connectors)
    assert client.system == "erp"
    assert client.base_url == "http://127.0.0.1:9"
    assert (client.timeout, client.max_retries, client.max_retry_after) == (2.5, 4, 0.25)
    assert client.max_connections == 3
    assert client.calls == 0
    assert system_client("erp", Settings().connectors).max_connections == 16


async def test_calls_beyond_the_pool_size_wait_for_a_connection() -> None:
    """``system_max_connections`` bounds the calls in flight to one system: with 2, six calls
    at once reach the system over two connections, four waiting their turn."""
    connections = 0
    waiting = 0
    release = asyncio.Event()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections, waiting
        connections += 1
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                waiting += 1
                await release.wait()
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = Settings(erp_url=f"http://127.0.0.1:{port}", system_max_connections=2)
    client = system_client("erp", settings.connectors)
    async with server:
        calls = asyncio.gather(*(client.get_json(f"/items/{n}") for n in range(6)))
        async with asyncio.timeout(5):
            while waiting < 2:
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)  # time for any more connections to come: none may
        assert (connections, waiting) == (2, 2)
        release.set()
        assert await calls == [{}] * 6
        await client.aclose()
    assert connections == 2


async def test_an_answer_over_the_size_limit_fails_the_call(fake_system: FakeSystem) -> None:
    client = fake_system_client(fake_system, max_retries=0, timeout=PATIENT_TIMEOUT)
    client.max_response_bytes = 1024
    try:
        assert (await client.get_json("/items/I1"))["id"] == "I1"  # small answers pass
        with pytest.raises(SystemResponseInvalid) as declared:
            await client.get_json("/big")  # 2 KiB, its length declared
        started = time.monotonic()
        with pytest.raises(SystemResponseInvalid) as endless:
            await client.get_json("/endless")  # never ends
    finally:
        await client.aclose()
    assert declared.value.message == "erp answered with a body over 1024 bytes"
    assert endless.value.message == "erp answered with a body over 1024 bytes"
    # Refused once 1 KiB had come, not after the (patient) timeout.
    assert time.monotonic() - started < PATIENT_TIMEOUT / 2
