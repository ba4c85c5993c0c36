"""The per-request context of the CRM subgraph: one batching loader per lookup.

Every lookup of one tick becomes one bulk CRM call (``?ids=``, ``?accountIds=``,
``?orderIds=``); accounts are read through the shared reference cache first.
"""

from __future__ import annotations

from dataclasses import dataclass

from cache.base import JSON
from cache.reference import ReferenceCache
from subgraphs.common.loaders import GroupLoader, Loader, reference_loader
from subgraphs.crm.client import CrmClient
from subgraphs.crm.records import AccountRecord, CaseRecord, ContactRecord
from subgraphs.crm.vendor import AccountPayload, parse_record

__all__ = ["CrmContext", "CrmLoaders"]


def _account(data: JSON) -> AccountRecord:
    return parse_record(AccountPayload, data).record()


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
        return cls(
            account=reference_loader(accounts, client.account_payloads, _account),
            contact=Loader.of_records(client.contacts, lambda c: c.id),
            contacts_of_account=GroupLoader.of_records(
                client.contacts_of_accounts, lambda c: c.account_id
            ),
            case=Loader.of_records(client.cases, lambda c: c.id),
            cases_of_account=GroupLoader.of_records(
                client.cases_of_accounts, lambda c: c.account_id
            ),
            cases_of_order=GroupLoader.of_records(client.cases_of_orders, lambda c: c.order_id),
        )


@dataclass(frozen=True, slots=True)
class CrmContext:
    """What every resolver of the CRM subgraph gets as ``info.context``."""

    client: CrmClient
    loaders: CrmLoaders
