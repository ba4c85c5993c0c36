"""Typed calls to the CRM's REST API, answering normalized records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from cache.base import JSON
from connectors.crm.records import AccountRecord, ActivityRecord, CaseRecord, ContactRecord
from connectors.crm.vendor import (
    AccountPayload,
    CasePayload,
    ContactPayload,
    TaskPayload,
    parse_list,
    parse_record,
)
from connectors.http import SystemClient

__all__ = ["AccountPage", "ActivitiesOf", "CrmClient"]

ActivitiesOf = Literal["accountIds", "orderIds"]
"""Whose activities: of accounts (by account id) or about orders (by ERP order id)."""


@dataclass(frozen=True, slots=True)
class AccountPage:
    """One page of ``GET /accounts``: its records and how many match in all."""

    accounts: list[AccountRecord]
    total: int


class CrmClient:
    """The CRM endpoints the graph uses, over one shared ``SystemClient``."""

    def __init__(self, system: SystemClient) -> None:
        self.system = system

    async def _records(
        self,
        path: str,
        ids: Sequence[str],
        *,
        param: str = "ids",
        extra: dict[str, str | int] | None = None,
    ) -> list[dict[str, Any]]:
        # Ids that cannot name a CRM record are not sent (see sendable_id).
        items = await self.system.get_many(
            path, ids, param=param, items_key=lambda body: parse_list(body).records, extra=extra
        )
        return items

    async def account_page(self, *, offset: int, limit: int, search: str | None) -> AccountPage:
        """``limit`` accounts from ``offset`` on (``limit`` 0 asks only for the total)."""
        params: dict[str, str | int] = {"offset": offset, "limit": max(limit, 1)}
        if search:
            params["search"] = search
        body = parse_list(await self.system.get_json("/accounts", params))
        records = body.records[:limit]
        accounts = [parse_record(AccountPayload, data).record() for data in records]
        return AccountPage(accounts=accounts, total=body.total_size)

    async def account_payloads(self, ids: list[str]) -> dict[str, JSON]:
        """Validated raw Account records of ``ids`` by Id, as the reference cache keeps them."""
        found: dict[str, JSON] = {}
        for data in await self._records("/accounts", ids):
            found[parse_record(AccountPayload, data).id] = data
        return found

    async def contacts(self, ids: Sequence[str]) -> list[ContactRecord]:
        return [
            parse_record(ContactPayload, data).record()
            for data in await self._records("/contacts", ids)
        ]

    async def contacts_of_accounts(self, account_ids: Sequence[str]) -> list[ContactRecord]:
        return [
            parse_record(ContactPayload, data).record()
            for data in await self._records("/contacts", account_ids, param="accountIds")
        ]

    async def cases(self, ids: Sequence[str]) -> list[CaseRecord]:
        return [
            parse_record(CasePayload, data).record() for data in await self._records("/cases", ids)
        ]

    async def cases_of_accounts(self, account_ids: Sequence[str]) -> list[CaseRecord]:
        return [
            parse_record(CasePayload, data).record()
            for data in await self._records("/cases", account_ids, param="accountIds")
        ]

    async def cases_of_orders(self, order_ids: Sequence[str]) -> list[CaseRecord]:
        return [
            parse_record(CasePayload, data).record()
            for data in await self._records("/cases", order_ids, param="orderIds")
        ]

    async def activities(
        self, of: ActivitiesOf, keys: Sequence[str], *, limit_each: int
    ) -> list[ActivityRecord]:
        """The ``limit_each`` newest activities of each account (or order) of ``keys``, in one
        call per 100 keys (``GET /tasks?accountIds=…&limitEach=…``)."""
        data = await self._records("/tasks", keys, param=of, extra={"limitEach": limit_each})
        return [parse_record(TaskPayload, item).record() for item in data]

    async def ping(self) -> bool:
        """Whether the CRM can be used: it answers its health check, and a one-record read
        (a system can be up, its health check fine, and failing every real request)."""
        body = await self.system.get_json("/health")
        if not (isinstance(body, dict) and body.get("status") == "ok"):
            return False
        await self.account_page(offset=0, limit=1, search=None)
        return True
