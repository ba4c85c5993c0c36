"""The per-request context of the CRM subgraph: one batching loader per lookup.

Every lookup of one tick becomes one bulk CRM call (``?ids=``, ``?accountIds=``,
``?orderIds=``); accounts are read through the shared reference cache first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from cache.reference import ReferenceCache
from subgraphs.common.loaders import GroupLoader, Loader
from subgraphs.crm.client import CrmClient
from subgraphs.crm.records import AccountRecord, CaseRecord, ContactRecord
from subgraphs.crm.vendor import AccountPayload, parse_record

__all__ = ["CrmContext", "CrmLoaders"]

R = TypeVar("R")


def _by_id(records: Iterable[R], key: Callable[[R], str]) -> dict[str, R]:
    return {key(record): record for record in records}


def _grouped(records: Iterable[R], key: Callable[[R], str | None]) -> dict[str, list[R]]:
    groups: dict[str, list[R]] = defaultdict(list)
    for record in records:
        group = key(record)
        if group is not None:
            groups[group].append(record)
    return groups


@dataclass(frozen=True, slots=True)
class CrmLoaders:
    """Fresh for every request, so nothing but the reference cache outlives one."""

    account: Loader[str, AccountRecord]
    contact: Loader[str, ContactRecord]
    contacts_of_account: GroupLoader[str, ContactRecord]
    case: Loader[str, CaseRecord]
    cases_of_account: GroupLoader[str, CaseRecord]
    cases_of_order: GroupLoader[str, CaseRecord]

    @classmethod
    def create(cls, client: CrmClient, accounts: ReferenceCache) -> CrmLoaders:
        async def load_accounts(ids: list[str]) -> Mapping[str, AccountRecord]:
            found = await accounts.get_many(ids, client.account_payloads)
            return {id_: parse_record(AccountPayload, data).record() for id_, data in found.items()}

        async def load_contacts(ids: list[str]) -> Mapping[str, ContactRecord]:
            return _by_id(await client.contacts(ids), lambda c: c.id)

        async def load_contacts_of(ids: list[str]) -> Mapping[str, list[ContactRecord]]:
            return _grouped(await client.contacts_of_accounts(ids), lambda c: c.account_id)

        async def load_cases(ids: list[str]) -> Mapping[str, CaseRecord]:
            return _by_id(await client.cases(ids), lambda c: c.id)

        async def load_cases_of(ids: list[str]) -> Mapping[str, list[CaseRecord]]:
            return _grouped(await client.cases_of_accounts(ids), lambda c: c.account_id)

        async def load_order_cases(ids: list[str]) -> Mapping[str, list[CaseRecord]]:
            return _grouped(await client.cases_of_orders(ids), lambda c: c.order_id)

        return cls(
            account=Loader(load_accounts),
            contact=Loader(load_contacts),
            contacts_of_account=GroupLoader(load_contacts_of),
            case=Loader(load_cases),
            cases_of_account=GroupLoader(load_cases_of),
            cases_of_order=GroupLoader(load_order_cases),
        )


@dataclass(frozen=True, slots=True)
class CrmContext:
    """What every resolver of the CRM subgraph gets as ``info.context``."""

    client: CrmClient
    loaders: CrmLoaders
