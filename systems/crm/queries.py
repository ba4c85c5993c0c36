"""Reads over the CRM's tables: paged lists, single records and bulk lookups."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from systems.common.db import Database, placeholders
from systems.common.params import PageRequest

__all__ = ["CrmStore", "Page"]

Page = tuple[list[sqlite3.Row], int]

_ACCOUNT_ORDER = "account_number"
_CONTACT_ORDER = "account_id, is_primary DESC, last_name, first_name, id"
_CASE_ORDER = "created_date DESC, case_number DESC"
# Newest first: when it happened, then (for activities of one moment) the later entered.
_TASK_ORDER = "activity_datetime DESC, id DESC"


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _in_request_order(rows: list[sqlite3.Row], ids: Sequence[str]) -> list[sqlite3.Row]:
    position = {record_id: index for index, record_id in enumerate(ids)}
    return sorted(rows, key=lambda row: position[row["id"]])


class CrmStore:
    """The queries the CRM's endpoints answer with, over one ``Database``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def _page(
        self, table: str, where: str, params: list[object], order: str, page: PageRequest
    ) -> Page:
        counted = self.db.fetch_all(f"SELECT count(*) FROM {table} WHERE {where}", params)
        total: int = counted[0][0]
        rows = self.db.fetch_all(
            f"SELECT * FROM {table} WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
            [*params, page.limit, page.offset],
        )
        return rows, total

    def _by_ids(self, table: str, ids: Sequence[str]) -> list[sqlite3.Row]:
        rows = self.db.fetch_all(
            f"SELECT * FROM {table} WHERE id IN ({placeholders(len(ids))})", list(ids)
        )
        return _in_request_order(rows, ids)

    def _one(self, table: str, record_id: str) -> sqlite3.Row | None:
        return self.db.fetch_one(f"SELECT * FROM {table} WHERE id = ?", (record_id,))

    # accounts

    def accounts_page(self, page: PageRequest, *, search: str | None, region: str | None) -> Page:
        where: list[str] = ["1 = 1"]
        params: list[object] = []
        if search:
            where.append("(name LIKE ? ESCAPE '\\' OR account_number LIKE ? ESCAPE '\\')")
            params += [_like_pattern(search)] * 2
        if region:
            where.append("region = ?")
            params.append(region)
        return self._page("accounts", " AND ".join(where), params, _ACCOUNT_ORDER, page)

    def accounts_by_ids(self, ids: Sequence[str]) -> list[sqlite3.Row]:
        return self._by_ids("accounts", ids)

    def account(self, account_id: str) -> sqlite3.Row | None:
        return self._one("accounts", account_id)

    # contacts

    def contacts_page(self, page: PageRequest) -> Page:
        return self._page("contacts", "1 = 1", [], _CONTACT_ORDER, page)

    def contacts_by_ids(self, ids: Sequence[str]) -> list[sqlite3.Row]:
        return self._by_ids("contacts", ids)

    def contacts_of_accounts(self, account_ids: Sequence[str]) -> list[sqlite3.Row]:
        return self.db.fetch_all(
            f"SELECT * FROM contacts WHERE account_id IN ({placeholders(len(account_ids))}) "
            f"ORDER BY {_CONTACT_ORDER}",
            list(account_ids),
        )

    def contact(self, contact_id: str) -> sqlite3.Row | None:
        return self._one("contacts", contact_id)

    # cases

    def cases_page(self, page: PageRequest, *, open_only: bool | None) -> Page:
        if open_only is None:
            return self._page("cases", "1 = 1", [], _CASE_ORDER, page)
        return self._page("cases", "is_closed = ?", [int(not open_only)], _CASE_ORDER, page)

    def cases_by_ids(self, ids: Sequence[str]) -> list[sqlite3.Row]:
        return self._by_ids("cases", ids)

    def cases_of_accounts(
        self, account_ids: Sequence[str], *, open_only: bool | None
    ) -> list[sqlite3.Row]:
        where = f"account_id IN ({placeholders(len(account_ids))})"
        params: list[object] = list(account_ids)
        if open_only is not None:
            where += " AND is_closed = ?"
            params.append(int(not open_only))
        return self.db.fetch_all(
            f"SELECT * FROM cases WHERE {where} ORDER BY {_CASE_ORDER}", params
        )

    def cases_of_orders(self, order_ids: Sequence[str]) -> list[sqlite3.Row]:
        return self.db.fetch_all(
            f"SELECT * FROM cases WHERE erp_order_id IN ({placeholders(len(order_ids))}) "
            f"ORDER BY {_CASE_ORDER}",
            list(order_ids),
        )

    def case(self, case_id: str) -> sqlite3.Row | None:
        return self._one("cases", case_id)

    # tasks (the activity history)

    def tasks_page(self, page: PageRequest) -> Page:
        return self._page("tasks", "1 = 1", [], _TASK_ORDER, page)

    def tasks_by_ids(self, ids: Sequence[str]) -> list[sqlite3.Row]:
        return self._by_ids("tasks", ids)

    def tasks_of(
        self, column: str, keys: Sequence[str], *, limit_each: int | None
    ) -> list[sqlite3.Row]:
        """The tasks whose ``column`` (``account_id``, ``erp_order_id``) is one of ``keys``,
        newest first within each key; only the ``limit_each`` newest of each when given."""
        assert column in ("account_id", "erp_order_id")
        where = f"{column} IN ({placeholders(len(keys))})"
        if limit_each is None:
            return self.db.fetch_all(
                f"SELECT * FROM tasks WHERE {where} ORDER BY {column}, {_TASK_ORDER}", list(keys)
            )
        return self.db.fetch_all(
            f"SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY {column} "
            f"ORDER BY {_TASK_ORDER}) AS position FROM tasks WHERE {where}) "
            f"WHERE position <= ? ORDER BY {column}, {_TASK_ORDER}",
            [*keys, limit_each],
        )

    def task(self, task_id: str) -> sqlite3.Row | None:
        return self._one("tasks", task_id)
