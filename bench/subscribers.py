"""A load process for the subscription benchmark: many graphql-transport-ws subscribers.

``python -m bench.subscribers SPEC`` reads the JSON file ``SPEC`` (a ``SubscriberSpec``), opens
one WebSocket per subscriber to the gateway, subscribes each with its own variables, and then
answers commands read line by line on stdin, one JSON line on stdout each:

- ``drain``: ``{"receipts": [[subscriber, event id, monotonic seconds], ...], "errors": n,
  "first_error": ..., "closed": n, "max_lag_ms": x}`` for what arrived since the last drain;
- ``stop``: closes every connection, prints ``{"stopped": n}`` and exits.

Once every subscriber has subscribed (or failed to), it prints ``{"subscribed": n, "failed":
m, "first_error": ...}``. It exits by itself when stdin closes (the benchmark died) or after
``lifetime_seconds``. Receipt times are ``time.monotonic()``, the machine-wide clock the
publisher stamps its sends with, taken as soon as a message is read off the socket;
``max_lag_ms`` is how late this process's event loop ran a 5 ms timer since the last drain,
which says whether the load generator itself was keeping up.
"""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import uvloop
from pydantic import BaseModel
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

__all__ = ["SubscriberSpec", "main"]

PROTOCOL = Subprotocol("graphql-transport-ws")
_LAG_TICK = 0.005


class SubscriberSpec(BaseModel):
    """What one load process does: ``len(variables)`` subscribers, numbered from
    ``first_index``, each subscribing to ``query`` with its own variables."""

    url: str
    query: str
    field: str
    variables: list[dict[str, Any]]
    first_index: int = 0
    compression: bool = True
    connect_concurrency: int = 64
    lifetime_seconds: float = 900.0


@dataclass
class _State:
    receipts: list[tuple[int, str, float]] = field(default_factory=list)
    errors: int = 0
    first_error: str | None = None
    closed: int = 0
    max_lag: float = 0.0
    connections: dict[int, ClientConnection] = field(default_factory=dict)

    def error(self, message: str) -> None:
        self.errors += 1
        if self.first_error is None:
            self.first_error = message[:500]


async def _subscriber(
    spec: SubscriberSpec, index: int, variables: dict[str, Any], gate: asyncio.Semaphore,
    state: _State, subscribed: asyncio.Queue[str | None],
) -> None:  # fmt: skip
    """One client: connect, init, subscribe, then record every ``next`` until closed."""
    try:
        async with gate:
            ws = await connect(
                spec.url,
                subprotocols=[PROTOCOL],
                compression="deflate" if spec.compression else None,
                proxy=None,
                open_timeout=60,
                ping_interval=None,
                close_timeout=2,
                max_size=None,
            )
            state.connections[index] = ws
            await ws.send(b'{"type":"connection_init","payload":{}}', text=True)
            ack = orjson.loads(await asyncio.wait_for(ws.recv(), 30))
            if ack.get("type") != "connection_ack":
                raise RuntimeError(f"no connection_ack: {ack!r}")
            subscribe = {"id": "1", "type": "subscribe",
                         "payload": {"query": spec.query, "variables": variables}}  # fmt: skip
            await ws.send(orjson.dumps(subscribe), text=True)
    except Exception as exc:
        state.connections.pop(index, None)
        await subscribed.put(f"subscriber {index}: {type(exc).__name__}: {exc}")
        return
    await subscribed.put(None)
    try:
        async for raw in ws:
            received = time.monotonic()
            message = orjson.loads(raw)
            kind = message.get("type")
            if kind == "next":
                payload = message.get("payload") or {}
                event = (payload.get("data") or {}).get(spec.field)
                if payload.get("errors"):
                    state.error(f"errors in next: {orjson.dumps(payload['errors'])[:300]!r}")
                if isinstance(event, dict) and "eventId" in event:
                    state.receipts.append((index, event["eventId"], received))
            elif kind == "ping":
                await ws.send(b'{"type":"pong"}', text=True)
            elif kind in ("error", "complete"):
                state.error(f"{kind}: {orjson.dumps(message)[:300]!r}")
                break
    except Exception as exc:
        state.error(f"subscriber {index}: {type(exc).__name__}: {exc}")
    finally:
        state.closed += 1


async def _watch_lag(state: _State) -> None:
    while True:
        before = time.monotonic()
        await asyncio.sleep(_LAG_TICK)
        state.max_lag = max(state.max_lag, time.monotonic() - before - _LAG_TICK)


def _say(payload: dict[str, Any]) -> None:
    sys.stdout.buffer.write(orjson.dumps(payload) + b"\n")
    sys.stdout.buffer.flush()


async def _commands() -> asyncio.StreamReader:
    reader = asyncio.StreamReader(limit=1 << 20)
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


async def run(spec: SubscriberSpec) -> None:
    state = _State()
    gate = asyncio.Semaphore(spec.connect_concurrency)
    subscribed: asyncio.Queue[str | None] = asyncio.Queue()
    lag = asyncio.create_task(_watch_lag(state))
    tasks = [
        asyncio.create_task(
            _subscriber(spec, spec.first_index + n, variables, gate, state, subscribed)
        )
        for n, variables in enumerate(spec.variables)
    ]
    failures = [await subscribed.get() for _ in tasks]
    problems = [f for f in failures if f is not None]
    _say({"subscribed": len(tasks) - len(problems), "failed": len(problems),
          "first_error": problems[0] if problems else None})  # fmt: skip
    commands = await _commands()
    try:
        while True:
            line = await asyncio.wait_for(commands.readline(), spec.lifetime_seconds)
            command = line.strip()
            if command == b"drain":
                receipts, state.receipts = state.receipts, []
                _say({"receipts": receipts, "errors": state.errors,
                      "first_error": state.first_error, "closed": state.closed,
                      "max_lag_ms": round(state.max_lag * 1000, 1)})  # fmt: skip
                state.max_lag = 0.0
            elif command == b"stop" or not line:
                break
    except TimeoutError:
        pass
    finally:
        lag.cancel()
        connections = list(state.connections.values())
        await asyncio.wait_for(
            asyncio.gather(*(ws.close() for ws in connections), return_exceptions=True), 30
        )
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        _say({"stopped": len(connections)})


def main(argv: list[str]) -> None:
    spec = SubscriberSpec.model_validate_json(Path(argv[0]).read_bytes())
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(run(spec))


if __name__ == "__main__":
    main(sys.argv[1:])
