"""The CRM's REST endpoints: accounts, contacts, cases and tasks, each paged, single and in
bulk, plus the writes of ``systems.crm.write_routes``.

Lists answer ``{"totalSize", "done", "records", "nextOffset"}``. A bulk form (``?ids=``,
``?accountIds=``, ``?orderIds=``; at most 100 keys) answers every match in one list and takes
no paging; the plain form pages with ``?offset=&limit=``. Tasks of accounts or orders take
``?limitEach=N``: the N newest of each key, so one call serves a page of every account's
activity history. Handlers are synchronous, so Starlette runs their SQLite reads in its thread
pool.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from systems.common.errors import NotFound, Unprocessable
from systems.common.params import parse_bool, parse_choice, parse_ids, parse_page
from systems.common.responses import json_response
from systems.crm.payloads import (
    account_payload,
    case_payload,
    contact_payload,
    list_envelope,
    task_payload,
)
from systems.crm.picklists import REGIONS
from systems.crm.queries import CrmStore
from systems.crm.write_routes import write_routes

__all__ = ["MAX_LIMIT_EACH", "MAX_SEARCH_LENGTH", "crm_routes"]

MAX_SEARCH_LENGTH = 100
MAX_LIMIT_EACH = 200


def _store(request: Request) -> CrmStore:
    store: CrmStore = request.app.state.store
    return store


def _only_one(request: Request, *names: str) -> str | None:
    """The one bulk parameter present, if any; 422 when several are, or with paging."""
    present = [name for name in names if name in request.query_params]
    if len(present) > 1:
        raise Unprocessable(f"parameters {' and '.join(present)} cannot be combined")
    if present:
        paging = [name for name in ("offset", "limit") if name in request.query_params]
        if paging:
            raise Unprocessable(f"parameter '{paging[0]}' does not apply to '{present[0]}'")
        return present[0]
    return None


def _search(request: Request) -> str | None:
    raw = request.query_params.get("search")
    if raw is None or not raw.strip():
        return None
    if len(raw) > MAX_SEARCH_LENGTH:
        raise Unprocessable(f"parameter 'search' must be at most {MAX_SEARCH_LENGTH} characters")
    return raw.strip()


def list_accounts(request: Request) -> Response:
    store = _store(request)
    search = _search(request)
    region = parse_choice(request, "region", REGIONS.values())
    if _only_one(request, "ids"):
        if search is not None or region is not None:
            raise Unprocessable("parameter 'ids' cannot be combined with 'search' or 'region'")
        ids = parse_ids(request, "ids") or []
        records = [account_payload(row) for row in store.accounts_by_ids(ids)]
        return json_response(list_envelope(records, total=len(records)))
    page = parse_page(request)
    rows, total = store.accounts_page(page, search=search, region=region)
    records = [account_payload(row) for row in rows]
    return json_response(list_envelope(records, total=total, offset=page.offset))


def get_account(request: Request) -> Response:
    account_id = request.path_params["id"]
    row = _store(request).account(account_id)
    if row is None:
        raise NotFound(f"no Account with Id {account_id!r}")
    return json_response(account_payload(row))


def list_contacts(request: Request) -> Response:
    store = _store(request)
    bulk = _only_one(request, "ids", "accountIds")
    if bulk == "ids":
        rows = store.contacts_by_ids(parse_ids(request, "ids") or [])
    elif bulk == "accountIds":
        rows = store.contacts_of_accounts(parse_ids(request, "accountIds") or [])
    else:
        page = parse_page(request)
        rows, total = store.contacts_page(page)
        records = [contact_payload(row) for row in rows]
        return json_response(list_envelope(records, total=total, offset=page.offset))
    records = [contact_payload(row) for row in rows]
    return json_response(list_envelope(records, total=len(records)))


def get_contact(request: Request) -> Response:
    contact_id = request.path_params["id"]
    row = _store(request).contact(contact_id)
    if row is None:
        raise NotFound(f"no Contact with Id {contact_id!r}")
    return json_response(contact_payload(row))


def list_cases(request: Request) -> Response:
    store = _store(request)
    open_only = parse_bool(request, "open")
    bulk = _only_one(request, "ids", "accountIds", "orderIds")
    if bulk is not None and bulk != "accountIds" and open_only is not None:
        raise Unprocessable(f"parameter 'open' does not apply to '{bulk}'")
    if bulk == "ids":
        rows = store.cases_by_ids(parse_ids(request, "ids") or [])
    elif bulk == "accountIds":
        account_ids = parse_ids(request, "accountIds") or []
        rows = store.cases_of_accounts(account_ids, open_only=open_only)
    elif bulk == "orderIds":
        rows = store.cases_of_orders(parse_ids(request, "orderIds") or [])
    else:
        page = parse_page(request)
        rows, total = store.cases_page(page, open_only=open_only)
        records = [case_payload(row) for row in rows]
        return json_response(list_envelope(records, total=total, offset=page.offset))
    records = [case_payload(row) for row in rows]
    return json_response(list_envelope(records, total=len(records)))


def get_case(request: Request) -> Response:
    case_id = request.path_params["id"]
    row = _store(request).case(case_id)
    if row is None:
        raise NotFound(f"no Case with Id {case_id!r}")
    return json_response(case_payload(row))


def _limit_each(request: Request, bulk: str | None) -> int | None:
    """``?limitEach=N`` (1 to ``MAX_LIMIT_EACH``), only beside ``accountIds`` or ``orderIds``."""
    raw = request.query_params.get("limitEach")
    if raw is None:
        return None
    if bulk not in ("accountIds", "orderIds"):
        raise Unprocessable("parameter 'limitEach' applies only to 'accountIds' or 'orderIds'")
    try:
        value = int(raw.strip())
    except ValueError:
        raise Unprocessable(f"parameter 'limitEach' must be an integer, got {raw!r}") from None
    if not 1 <= value <= MAX_LIMIT_EACH:
        raise Unprocessable(
            f"parameter 'limitEach' must be between 1 and {MAX_LIMIT_EACH}, got {value}"
        )
    return value


def list_tasks(request: Request) -> Response:
    store = _store(request)
    bulk = _only_one(request, "ids", "accountIds", "orderIds")
    limit_each = _limit_each(request, bulk)
    if bulk == "ids":
        rows = store.tasks_by_ids(parse_ids(request, "ids") or [])
    elif bulk == "accountIds":
        account_ids = parse_ids(request, "accountIds") or []
        rows = store.tasks_of("account_id", account_ids, limit_each=limit_each)
    elif bulk == "orderIds":
        order_ids = parse_ids(request, "orderIds") or []
        rows = store.tasks_of("erp_order_id", order_ids, limit_each=limit_each)
    else:
        page = parse_page(request)
        rows, total = store.tasks_page(page)
        records = [task_payload(row) for row in rows]
        return json_response(list_envelope(records, total=total, offset=page.offset))
    records = [task_payload(row) for row in rows]
    return json_response(list_envelope(records, total=len(records)))


def get_task(request: Request) -> Response:
    task_id = request.path_params["id"]
    row = _store(request).task(task_id)
    if row is None:
        raise NotFound(f"no Task with Id {task_id!r}")
    return json_response(task_payload(row))


def crm_routes() -> list[BaseRoute]:
    return [
        Route("/accounts", list_accounts, methods=["GET"]),
        Route("/accounts/{id}", get_account, methods=["GET"]),
        Route("/contacts", list_contacts, methods=["GET"]),
        Route("/contacts/{id}", get_contact, methods=["GET"]),
        Route("/cases", list_cases, methods=["GET"]),
        Route("/cases/{id}", get_case, methods=["GET"]),
        Route("/tasks", list_tasks, methods=["GET"]),
        Route("/tasks/{id}", get_task, methods=["GET"]),
        *write_routes(),
    ]
