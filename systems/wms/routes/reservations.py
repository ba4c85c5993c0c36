"""``/reservations``: atomic inventory allocation for order promising (see wms.reservations)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from systems.common.db import Database
from systems.common.params import parse_body
from systems.common.responses import json_response
from systems.wms.reservations import Reservation, ReservationRequest, release, reserve
from systems.wms.routes.writes import shortage_response

__all__ = ["reservation_routes"]


def reservation_routes(db: Database) -> list[Route]:
    async def create_reservation(request: Request) -> Response:
        """201 with the reservation; 200 when it existed; 409 with the short lines."""
        body = await parse_body(request, ReservationRequest)
        outcome = await run_in_threadpool(reserve, db, body)
        if isinstance(outcome, Reservation):
            return json_response(outcome.payload, 201 if outcome.created else 200)
        return shortage_response(outcome, "reserved")

    async def delete_reservation(request: Request) -> Response:
        reservation_id = request.path_params["reservation_id"]
        return json_response(await run_in_threadpool(release, db, reservation_id))

    return [
        Route("/reservations", create_reservation, methods=["POST"]),
        Route("/reservations/{reservation_id}", delete_reservation, methods=["DELETE"]),
    ]
