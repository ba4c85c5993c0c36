"""The reference WMS's REST app over its SQLite file, with its lifecycle and webhook sender."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette

from systems.common.db import Database
from systems.common.http import create_rest_app
from systems.settings import SystemsSettings
from systems.wms.routes import wms_routes
from systems.wms.webhooks import LifecycleRunner, WebhookSender

__all__ = ["create_app"]


def create_app(settings: SystemsSettings) -> Starlette:
    """The WMS app; its database is closed when the server stops.

    With ``wms_lifecycle.webhook_url`` set, a background task sends the milestone webhooks;
    with ``wms_lifecycle.speed_seconds`` set, another advances released orders on a timer.
    ``app.state.webhooks`` is the sender (or ``None``).
    """
    lifecycle = settings.wms_lifecycle
    db = Database.open(settings.db_path("wms"))
    sender = WebhookSender(db, lifecycle) if lifecycle.webhook_url else None
    wake = sender.wake if sender is not None else _nothing
    routes = wms_routes(db, exception_rate=lifecycle.exception_rate, on_written=wake)
    app = create_rest_app("wms", routes, settings.faults("wms"), on_shutdown=[db.close])
    app.state.webhooks = sender
    tasks: list[Callable[[], Coroutine[Any, Any, None]]] = []
    if sender is not None:
        tasks.append(sender.run)
    if lifecycle.speed_seconds is not None:
        runner = LifecycleRunner(db, lifecycle, on_written=[sender] if sender else ())
        tasks.append(runner.run)
    if not tasks:
        return app
    inner = app.router.lifespan_context
    running: list[asyncio.Task[None]] = []

    def stop_tasks() -> None:
        for task in running:
            task.cancel()

    # Called when shutdown begins, before any service stops (crossdock.runner): no order moves
    # on and no webhook is attempted while the subgraphs they go to are stopping; what is
    # still pending stays in the outbox for the next start.
    app.state.begin_shutdown = stop_tasks

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with inner(app):
            running[:] = [asyncio.create_task(task()) for task in tasks]
            try:
                yield
            finally:
                stop_tasks()
                for task in running:
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                if sender is not None:
                    await sender.aclose()

    app.router.lifespan_context = lifespan
    return app


def _nothing() -> None:
    return None
