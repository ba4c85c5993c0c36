"""Invoices, credit memos and return authorizations: the records that follow a sales order.

All three share a shape (a header, lines, a link to the order), so one ``Kind`` per record
type says where its rows live and how its header reads; the lookups are written once.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from systems.common.db import Database, placeholders
from systems.common.params import PageRequest
from systems.erp.formats import Payload, count, location, money, ref
from systems.erp.vocabulary import RETURN_CODES

__all__ = ["CREDIT_MEMOS", "INVOICES", "RETURN_AUTHORIZATIONS", "Kind", "by", "page_of"]


def _entity(row: sqlite3.Row) -> Payload:
    return {
        "internalId": row["customer_id"],
        "externalId": row["customer_external_id"],
        "refName": row["company_name"],
    }


def _order(row: sqlite3.Row) -> Payload | None:
    return ref(row["order_id"], row["order_tran_id"])


def _amounts(row: sqlite3.Row) -> Payload:
    return {
        "subtotal": money(row["subtotal_cents"]),
        "taxTotal": money(row["tax_cents"]),
        "total": money(row["total_cents"]),
    }


def _invoice(row: sqlite3.Row) -> Payload:
    return {
        "createdFrom": _order(row),
        "custbody_shipment_id": row["shipment_id"],
        "dueDate": row["due_date"],
        **_amounts(row),
        "amountRemaining": money(row["amount_remaining_cents"]),
    }


def _credit_memo(row: sqlite3.Row) -> Payload:
    return {
        "createdFrom": ref(row["created_from"], row["created_from_tran_id"]),
        "custbody_sales_order": _order(row),
        **_amounts(row),
    }


def _return_authorization(row: sqlite3.Row) -> Payload:
    return {
        "createdFrom": _order(row),
        "custbody_status": RETURN_CODES[row["status"]],
        "custbody_decline_reason": row["custbody_decline_reason"],
        "location": location(row["location"]),
        "custbody_requested_by": row["requested_by"],
        "custbody_received_by": row["received_by"],
    }


def _priced_line(row: sqlite3.Row) -> Payload:
    return {
        "line": row["line"],
        "item": {"refName": row["item_id"]},
        "quantity": row["quantity"],
        "rate": money(row["rate_cents"]),
        "amount": money(row["amount_cents"]),
        "location": location(row["location"]),
    }


def _return_line(row: sqlite3.Row) -> Payload:
    return {
        "line": row["line"],
        "item": {"refName": row["item_id"]},
        "quantity": row["quantity"],
        "quantityReceived": row["quantity_received"],
        "custcol_return_reason": row["custcol_return_reason"],
    }


@dataclass(frozen=True)
class Kind:
    """Where one record type lives and how its rows read."""

    name: str
    table: str
    lines_table: str
    lines_parent: str
    header: Callable[[sqlite3.Row], Payload]
    line: Callable[[sqlite3.Row], Payload]
    extra_columns: str = ""
    extra_joins: str = ""
    lines_select: str = "SELECT l.* FROM {table} l"

    @property
    def select(self) -> str:
        return f"""
        SELECT t.*, c.company_name, so.tran_id AS order_tran_id, so.currency AS order_currency
            {self.extra_columns}
        FROM {self.table} t
        JOIN customers c ON c.internal_id = t.customer_id
        JOIN sales_orders so ON so.internal_id = t.order_id
        {self.extra_joins}
        """


INVOICES = Kind("invoice", "invoices", "invoice_lines", "invoice_id", _invoice, _priced_line)
CREDIT_MEMOS = Kind(
    "credit memo",
    "credit_memos",
    "credit_memo_lines",
    "credit_memo_id",
    _credit_memo,
    _priced_line,
    extra_columns=", ra.tran_id AS created_from_tran_id",
    extra_joins="JOIN return_authorizations ra ON ra.internal_id = t.created_from",
)
RETURN_AUTHORIZATIONS = Kind(
    "return authorization",
    "return_authorizations",
    "return_authorization_lines",
    "return_authorization_id",
    _return_authorization,
    _return_line,
    lines_select="""
    SELECT l.*, COALESCE(r.quantity_received, 0) AS quantity_received FROM {table} l
    LEFT JOIN return_authorization_receipts r
        ON r.return_authorization_id = l.return_authorization_id AND r.line = l.line
    """,
)


def _payloads(db: Database, kind: Kind, rows: list[sqlite3.Row]) -> list[Payload]:
    if not rows:
        return []
    ids = [row["internal_id"] for row in rows]
    lines: dict[str, list[Payload]] = {record_id: [] for record_id in ids}
    select = kind.lines_select.format(table=kind.lines_table)
    for line in db.fetch_all(
        f"{select} WHERE l.{kind.lines_parent} "
        f"IN ({placeholders(len(ids))}) ORDER BY l.{kind.lines_parent}, l.line",
        ids,
    ):
        lines[line[kind.lines_parent]].append(kind.line(line))
    return [
        {
            "internalId": row["internal_id"],
            "tranId": row["tran_id"],
            "entity": _entity(row),
            "status": row["status"],
            "createdDate": row["created_date"],
            "tranDate": row["tran_date"],
            "currency": {"refName": row["order_currency"]},
            **kind.header(row),
            "item": {"items": lines[row["internal_id"]]},
        }
        for row in rows
    ]


def by(db: Database, kind: Kind, column: str, keys: Sequence[str]) -> list[Payload]:
    """The records whose ``column`` (``internal_id`` or ``order_id``) is in ``keys``."""
    if column not in ("internal_id", "order_id"):
        raise ValueError(f"a {kind.name} cannot be looked up by {column}")
    if not keys:
        return []
    rows = db.fetch_all(
        f"{kind.select} WHERE t.{column} IN ({placeholders(len(keys))}) "
        "ORDER BY t.created_date, t.internal_id",
        keys,
    )
    return _payloads(db, kind, rows)


def page_of(db: Database, kind: Kind, page: PageRequest) -> tuple[list[Payload], int]:
    """One page of all the records of ``kind``, oldest first, and how many there are."""
    total = count(db, f"SELECT COUNT(*) FROM {kind.table}")
    rows = db.fetch_all(
        f"{kind.select} ORDER BY t.created_date, t.internal_id LIMIT ? OFFSET ?",
        (page.limit, page.offset),
    )
    return _payloads(db, kind, rows), total
