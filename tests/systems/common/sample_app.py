"""A tiny system built with create_rest_app: one route per thing the tests exercise."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crossdock.settings import FaultSettings
from systems.common import (
    NotFound,
    create_rest_app,
    json_response,
    parse_body,
    parse_bool,
    parse_choice,
    parse_date,
    parse_ids,
    parse_page,
)

__all__ = ["build_app"]

ACCOUNTS = {"a1": "Acme", "a2": "Globex"}


async def list_accounts(request: Request) -> Response:
    page = parse_page(request, default_limit=10, max_limit=50)
    ids = parse_ids(request)
    status = parse_choice(request, "status", ("active", "closed"))
    vip = parse_bool(request, "vip")
    since = parse_date(request, "since")
    return json_response(
        {
            "offset": page.offset,
            "limit": page.limit,
            "ids": ids,
            "status": status,
            "vip": vip,
            "since": since,
        }
    )


async def get_account(request: Request) -> Response:
    account_id = request.path_params["id"]
    if account_id not in ACCOUNTS:
        raise NotFound(f"no account {account_id}")
    return json_response({"id": account_id, "name": ACCOUNTS[account_id], "limit": Decimal("9.90")})


def crash(request: Request) -> Response:
    raise RuntimeError("secret-detail-of-the-crash")


async def dated(request: Request) -> Response:
    return json_response({"day": date(2024, 5, 1)})


class NewContact(BaseModel):
    account_id: str
    email: str = Field(pattern=r"^[^@]+@[^@]+$")
    quantity: int = Field(default=1, ge=1)


async def create_contact(request: Request) -> Response:
    contact = await parse_body(request, NewContact)
    return json_response(contact.model_dump(), status_code=201)


def strict_contact(request: Request) -> Response:
    # A pydantic error escaping an endpoint is still a 422, not a 500.
    NewContact.model_validate({"account_id": 1})
    raise AssertionError("unreachable")


async def create_note(request: Request) -> Response:
    """A write that leaves a trace (``app.state.notes``), to see whether it happened."""
    note = (await request.body()).decode()
    request.app.state.notes.append(note)
    return json_response({"note": note}, status_code=201)


def build_app(faults: FaultSettings | None = None) -> Starlette:
    routes = [
        Route("/accounts", list_accounts, methods=["GET"]),
        Route("/accounts/{id}", get_account, methods=["GET"]),
        Route("/crash", crash, methods=["GET"]),
        Route("/dated", dated, methods=["GET"]),
        Route("/contacts", create_contact, methods=["POST"]),
        Route("/strict-contact", strict_contact, methods=["GET"]),
        Route("/notes", create_note, methods=["POST"]),
    ]
    app = create_rest_app("crm", routes, faults or FaultSettings())
    app.state.notes = []
    return app
