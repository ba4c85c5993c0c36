"""The CRM's write endpoints (docs/system-writes.md): ``POST /tasks`` and ``POST /cases``.

Each parses its body, then writes in a worker thread, one transaction per call; the answer is
201 with the new record, or 200 with the record an earlier call under the same
``External_Id__c`` entered.
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from systems.common.db import Database
from systems.common.params import parse_body
from systems.common.responses import written_response
from systems.crm.activities import TaskIn, enter_task
from systems.crm.case_entry import CaseIn, open_case

__all__ = ["write_routes"]


def _db(request: Request) -> Database:
    db: Database = request.app.state.store.db
    return db


async def create_task(request: Request) -> Response:
    body = await parse_body(request, TaskIn)
    return written_response(await run_in_threadpool(enter_task, _db(request), body))


async def create_case(request: Request) -> Response:
    body = await parse_body(request, CaseIn)
    return written_response(await run_in_threadpool(open_case, _db(request), body))


def write_routes() -> list[Route]:
    return [
        Route("/tasks", create_task, methods=["POST"]),
        Route("/cases", create_case, methods=["POST"]),
    ]
