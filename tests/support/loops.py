"""See into the event loop of an app served in a thread of its own: how many tasks it runs,
how many HTTP requests it is still serving, and whether it was told their clients left.

A request that keeps working for nobody shows up as tasks that do not end, and as a request
its app has not returned from; a test takes the count before and waits (with a deadline) for
it to come back.
"""

from __future__ import annotations

import asyncio
import threading

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["LoopProbe"]


class LoopProbe:
    """An ASGI wrapper that learns the loop its app runs on (at the lifespan's start)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.loop: asyncio.AbstractEventLoop | None = None
        self._serving = 0
        self._started = 0
        self._told_gone = 0
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.loop is None:
            self.loop = asyncio.get_running_loop()
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with self._lock:
            self._serving += 1
            self._started += 1

        async def watched() -> Message:
            message = await receive()
            if message["type"] == "http.disconnect":
                with self._lock:
                    self._told_gone += 1
            return message

        try:
            await self.app(scope, watched, send)
        finally:
            with self._lock:
                self._serving -= 1

    def serving(self) -> int:
        """HTTP requests the app has not returned from yet."""
        with self._lock:
            return self._serving

    def started(self) -> int:
        """HTTP requests the app has been given so far."""
        with self._lock:
            return self._started

    def told_gone(self) -> int:
        """How many times the app has been told a client hung up (``http.disconnect``)."""
        with self._lock:
            return self._told_gone

    def tasks(self) -> int:
        """The tasks the app's loop runs now (the server's own included), from any thread."""
        loop = self.loop
        assert loop is not None, "the app has not started"

        async def count() -> int:
            return len(asyncio.all_tasks()) - 1  # not this one

        return asyncio.run_coroutine_threadsafe(count(), loop).result(timeout=10)

    def task_names(self) -> list[str]:
        """Their names and what they run, for a failure message."""
        loop = self.loop
        assert loop is not None, "the app has not started"

        async def names() -> list[str]:
            this = asyncio.current_task()
            return sorted(repr(t.get_coro()) for t in asyncio.all_tasks() if t is not this)

        return asyncio.run_coroutine_threadsafe(names(), loop).result(timeout=10)
