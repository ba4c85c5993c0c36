"""A client that hangs up stops its request: nothing keeps working for nobody.

An ASGI server reports a client that closed its connection as ``http.disconnect`` on
``receive``, and only to someone who asks. :func:`unless_hung_up` asks, from a small watcher
task, while the request's own work runs in the caller's task, and cancels that work when the
answer comes: every await in it raises ``CancelledError``, so subgraph fetches in flight close
their connections (their subgraphs see their requests abandoned) and fetches not started never
start. The body must have been read before (the watcher takes every message after it).

:func:`disconnected` is shared with the subgraphs (``subgraphs.common.deadline``), which stop
their requests (and their system calls) when the gateway hangs up on them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

from starlette.types import Receive

__all__ = ["disconnected", "unless_hung_up"]

T = TypeVar("T")


async def disconnected(receive: Receive) -> None:
    """Return once the client has hung up (``http.disconnect``)."""
    while (await receive())["type"] != "http.disconnect":
        pass


async def unless_hung_up(receive: Receive, work: Awaitable[T]) -> T | None:
    """``await work``, or ``None`` as soon as the client hangs up (``work`` is cancelled).

    A cancellation from elsewhere (the server shutting down) still propagates.
    """
    task = asyncio.current_task()
    assert task is not None
    hung_up = False

    async def watch() -> None:
        nonlocal hung_up
        await disconnected(receive)
        hung_up = True
        task.cancel()

    watcher = asyncio.create_task(watch())
    try:
        return await work
    except asyncio.CancelledError:
        # Ours only if no one else asked too: the same count asyncio.timeout keeps.
        if hung_up and task.uncancel() == 0:
            return None
        raise
    finally:
        # The watcher can only have fired while ``work`` was awaited (one thread, and
        # nothing is awaited between its end and here), so it cannot cancel what follows.
        watcher.cancel()
