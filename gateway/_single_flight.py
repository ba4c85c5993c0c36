"""One run of work that many callers ask for at once: the first caller starts it, the callers
that ask for the same key while it runs wait for the same result.

The work runs as a task of its own, so a caller that leaves (its client hung up, its deadline
passed) does not stop it for the others; only when the last waiting caller has left is it
cancelled. A result or exception reaches every caller that waited for it; the next call with
the key, once it has settled, starts afresh (nothing is cached).

The gateway uses it twice: identical in-flight queries share one execution (``Gateway``), and
identical in-flight fetches to one subgraph share one HTTP call (``SubgraphTransport``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["SingleFlight"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


@dataclass(eq=False)
class _Flight(Generic[V]):
    task: asyncio.Future[V]
    waiters: int = 0


class SingleFlight(Generic[K, V]):
    """Calls in flight by key; ``joined`` counts the calls that shared another's run."""

    def __init__(self) -> None:
        self._flights: dict[K, _Flight[V]] = {}
        self.joined = 0

    def __len__(self) -> int:
        return len(self._flights)

    def __contains__(self, key: object) -> bool:
        """Whether a call of ``key`` is in flight (one made now would share it)."""
        return key in self._flights

    async def run(self, key: K, work: Callable[[], Awaitable[V]]) -> V:
        """``work()``'s result, shared with every caller of ``key`` while it runs."""
        flight = self._flights.get(key)
        if flight is None:
            flight = _Flight(asyncio.ensure_future(work()))
            self._flights[key] = flight
            flight.task.add_done_callback(lambda _: self._land(key, flight))
        else:
            self.joined += 1
        flight.waiters += 1
        try:
            return await asyncio.shield(flight.task)
        finally:
            flight.waiters -= 1
            if flight.waiters == 0 and not flight.task.done():
                # The last caller left: nobody wants the result any more.
                self._land(key, flight)
                flight.task.cancel()

    def _land(self, key: K, flight: _Flight[V]) -> None:
        """Forget ``flight``: callers of ``key`` from now on start a run of their own."""
        if self._flights.get(key) is flight:
            del self._flights[key]
        if flight.task.done() and not flight.task.cancelled():
            # Read, so that an exception nobody waited for is not reported as never retrieved.
            flight.task.exception()
