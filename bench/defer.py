"""``@defer`` on the distribution graph: time to the first payload and to the last, against the
same query without ``@defer`` (time to the whole response).

``python -m bench.defer [--rounds 200] [--warmup 20]`` seeds a throwaway world, serves the
three reference systems, the four subgraphs and the gateway on loopback (one process, a
thread each, as ``bench.orders_submit``), and asks, one request at a time, for a shipped
order with its lines first and its shipments' tracking deferred, over multipart HTTP; and
the same query without ``@defer``, as JSON. The two are interleaved (one of each per round,
the order alternating), so a slower moment of the machine costs both alike. It checks once
that both give the same order (the parts merged as a client merges them) and that the first
payload has the lines and not the shipments. Prints p50/p99 in milliseconds.

``--wms-latency-ms N`` adds N ms to every request the reference WMS serves (its fault
settings), as a slower warehouse system would: the shipments' tracking comes from it, the
order and its lines do not.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import orjson

from crossdock.settings import SYSTEM_NAMES, Settings
from crossdock.stack import compose_live_supergraph
from gateway.executor import merge_at
from gateway.server import GatewaySettings, create_gateway_app
from subgraphs.apps import SUBGRAPH_NAMES, create_subgraph_app
from systems.apps import create_system_app
from systems.seeding import seed_all
from systems.settings import FaultSettings
from systems.world import build_world
from tests.gateway.conftest import supergraph_with_urls
from tests.support.e2e import shipped_order_with_open_case
from tests.support.servers import serve

__all__ = ["main"]

LINES = "number lines { quantity product { sku name } }"
TRACKING = "shipments { trackingNumber status trackingEvents { status occurredAt } }"
DEFERRED = f"""
query Order($id: ID!) {{
  order(id: $id) {{ {LINES} ... @defer(label: "tracking") {{ {TRACKING} }} }}
}}"""
WHOLE = f"""
query Order($id: ID!) {{
  order(id: $id) {{ {LINES} {TRACKING} }}
}}"""
MULTIPART = "multipart/mixed;deferSpec=20220824, application/json"
DELIMITER = b"\r\n---"
# One request may take this long at most (a stuck request ends the run, it does not hang it).
REQUEST_TIMEOUT = 30.0


def _payloads(body: bytes) -> Iterator[dict[str, Any]]:
    """The JSON payloads of a whole multipart body."""
    for part in body.split(DELIMITER)[1:]:
        _, sep, json = part.partition(b"\r\n\r\n")
        if sep:
            yield orjson.loads(json)


def deferred(http: httpx.Client, variables: dict[str, Any]) -> tuple[float, float, bytes]:
    """Seconds to the first payload and to the last, and the multipart body."""
    started = time.perf_counter()
    first = None
    body = b""
    with http.stream(
        "POST",
        "/graphql",
        json={"query": DEFERRED, "variables": variables},
        headers={"accept": MULTIPART},
    ) as response:
        if response.status_code != 200 or not response.headers["content-type"].startswith(
            "multipart/mixed"
        ):
            raise SystemExit(f"the deferred query was not answered in parts: {response.read()!r}")
        for chunk in response.iter_raw():
            body += chunk
            # The first payload is whole once the delimiter after it has come (the server
            # writes it with the part; JSON never holds a raw CR LF).
            if first is None and body.count(DELIMITER) >= 2:
                first = time.perf_counter() - started
    last = time.perf_counter() - started
    assert first is not None
    return first, last, body


def whole(http: httpx.Client, variables: dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """Seconds to the whole response, and the response."""
    started = time.perf_counter()
    response = http.post("/graphql", json={"query": WHOLE, "variables": variables})
    took = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"the query failed: {response.text[:2000]}")
    answer: dict[str, Any] = response.json()
    return took, answer


def check(http: httpx.Client, variables: dict[str, Any]) -> None:
    """Both queries give the same order; the first payload has the lines, not the tracking."""
    _, _, body = deferred(http, variables)
    initial, *rest = _payloads(body)
    order = initial["data"]["order"]
    if not order["lines"] or "shipments" in order or initial.get("hasNext") is not True:
        raise SystemExit(f"unexpected first payload: {initial}")
    merged = initial["data"]
    for payload in rest:
        for item in payload.get("incremental", ()):
            merge_at(merged, item["path"], item["data"])
    _, answer = whole(http, variables)
    if "errors" in answer or any("errors" in p for p in [initial, *rest]):
        raise SystemExit(f"errors in the answers: {answer} {[initial, *rest]}")
    if merged != answer["data"]:
        raise SystemExit("the deferred parts merged differ from the whole response")
    shipments = answer["data"]["order"]["shipments"]
    print(
        f"order {answer['data']['order']['number']}: {len(order['lines'])} lines, "
        f"{len(shipments)} shipments; {len(rest)} deferred payload(s); the same order both ways"
    )


def _ms(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="measured rounds (one of each)")
    parser.add_argument("--warmup", type=int, default=20, help="rounds before measuring")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--wms-latency-ms", type=int, default=0, help="added to every reference WMS request"
    )
    args = parser.parse_args(argv)

    order = shipped_order_with_open_case(build_world(args.seed))
    variables = {"id": order.id}
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        settings = Settings(
            data_dir=Path(tmp),
            seed=args.seed,
            wms_faults=FaultSettings(latency_ms=args.wms_latency_ms),
        )
        seed_all(settings.systems, reset=True)
        systems = {
            name: stack.enter_context(serve(create_system_app(name, settings.systems)))
            for name in SYSTEM_NAMES
        }
        settings = settings.model_copy(update={f"{n}_url": url for n, url in systems.items()})
        subgraphs = {
            name: stack.enter_context(serve(create_subgraph_app(name, settings.subgraphs)))
            for name in SUBGRAPH_NAMES
        }
        path = Path(tmp) / "supergraph.graphql"
        path.write_text(
            supergraph_with_urls(
                compose_live_supergraph(settings),
                {name: f"{url}/graphql" for name, url in subgraphs.items()},
            )
        )
        gateway = stack.enter_context(
            serve(create_gateway_app(path, GatewaySettings(reload_interval=0)))
        )
        firsts: list[float] = []
        lasts: list[float] = []
        wholes: list[float] = []
        with httpx.Client(base_url=gateway, timeout=REQUEST_TIMEOUT) as http:
            check(http, variables)
            for n in range(args.warmup + args.rounds):
                # Alternate which goes first, so neither always follows the other.
                if n % 2:
                    took, _ = whole(http, variables)
                    first, last, _ = deferred(http, variables)
                else:
                    first, last, _ = deferred(http, variables)
                    took, _ = whole(http, variables)
                if n >= args.warmup:
                    firsts.append(first)
                    lasts.append(last)
                    wholes.append(took)
    print(
        f"{args.rounds} rounds (after {args.warmup} warm-up), one request at a time, loopback, "
        f"reference WMS latency +{args.wms_latency_ms} ms"
    )
    print(f"{'':<34} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    for name, values in [
        ("@defer: first payload", firsts),
        ("@defer: last payload", lasts),
        ("without @defer: whole response", wholes),
    ]:
        print(
            f"{name:<34} {_ms(values, 0.5):>8.1f} {_ms(values, 0.99):>8.1f} "
            f"{statistics.fmean(values) * 1000:>8.1f}"
        )


if __name__ == "__main__":
    main()
