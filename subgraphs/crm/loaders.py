"""The per-request context of the CRM subgraph: one batching loader per lookup.

Every loader answers only what the request's actor may see (``subgraphs.common.scoping``): a
customer's request loads its own account, and that account's contacts, cases and activities.

Every lookup of one tick becomes one bulk CRM call (``?ids=``, ``?accountIds=``,
``?orderIds=``); accounts are read through the shared reference cache first. Activities are
loaded by (account or order, how many newest): the keys of one tick asking the same number
share one call (``?accountIds=…&limitEach=N``), so a list of accounts with their last 20
activities costs one call, not one per account.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cache.base import JSON
from cache.reference import ReferenceCache
from connectors.crm.client import ActivitiesOf, CrmClient
from connectors.crm.records import AccountRecord, ActivityRecord, CaseRecord, ContactRecord
from connectors.crm.vendor import AccountPayload, parse_record
from schema.actor import Actor
from subgraphs.common.identity import CallerContext
from subgraphs.common.loaders import GroupLoader, Loader, grouped, reference_loader
from subgraphs.common.scoping import scoped, visible

__all__ = ["ActivityKey", "CrmContext", "CrmLoaders"]

ActivityKey = tuple[str, int]
"""(account or order id, how many of its newest activities)."""


def _account(data: JSON) -> AccountRecord:
    return parse_record(AccountPayload, data).record()


def _activities(
    client: CrmClient,
    of: ActivitiesOf,
    parent: Callable[[ActivityRecord], str | None],
    actor: Actor,
) -> GroupLoader[ActivityKey, ActivityRecord]:
    async def load_many(keys: list[ActivityKey]) -> Mapping[ActivityKey, list[ActivityRecord]]:
        ids_by_limit: dict[int, list[str]] = defaultdict(list)
        for key, limit in keys:
            ids_by_limit[limit].append(key)
        limits = list(ids_by_limit)
        answers = await asyncio.gather(
            *(client.activities(of, ids_by_limit[limit], limit_each=limit) for limit in limits)
        )
        found: dict[ActivityKey, list[ActivityRecord]] = {}
        for limit, records in zip(limits, answers, strict=True):
            mine = visible(actor, records, lambda a: a.account_id)
            for key, group in grouped(mine, parent).items():
                found[(key, limit)] = group
        return found

    return GroupLoader(load_many)


@dataclass(frozen=True, slots=True)
class CrmLoaders:
    """Fresh for every request, so nothing but the reference cache outlives one; each
    answers only the records of the accounts ``actor`` may see."""

    account: Loader[str, AccountRecord]
    contact: Loader[str, ContactRecord]
    contacts_of_account: GroupLoader[str, ContactRecord]
    case: Loader[str, CaseRecord]
    cases_of_account: GroupLoader[str, CaseRecord]
    cases_of_order: GroupLoader[str, CaseRecord]
    activities_of_account: GroupLoader[ActivityKey, ActivityRecord]
    activities_of_order: GroupLoader[ActivityKey, ActivityRecord]

    @classmethod
    def create(cls, client: CrmClient, accounts: ReferenceCache, actor: Actor) -> CrmLoaders:
        may_see = actor.may_see
        return cls(
            account=reference_loader(accounts, client.account_payloads, _account).only(may_see),
            contact=Loader.of_records(
                scoped(actor, client.contacts, lambda c: c.account_id), lambda c: c.id
            ),
            contacts_of_account=GroupLoader.of_records(
                client.contacts_of_accounts, lambda c: c.account_id
            ).only(may_see),
            case=Loader.of_records(
                scoped(actor, client.cases, lambda c: c.account_id), lambda c: c.id
            ),
            cases_of_account=GroupLoader.of_records(
                client.cases_of_accounts, lambda c: c.account_id
            ).only(may_see),
            cases_of_order=GroupLoader.of_records(
                scoped(actor, client.cases_of_orders, lambda c: c.account_id), lambda c: c.order_id
            ),
            activities_of_account=_activities(
                client, "accountIds", lambda a: a.account_id, actor
            ).only(lambda key: may_see(key[0])),
            activities_of_order=_activities(client, "orderIds", lambda a: a.order_id, actor),
        )


@dataclass(slots=True)
class CrmContext(CallerContext):
    """What every resolver of the CRM subgraph gets as ``info.context``, for its ``actor``."""

    client: CrmClient
    loaders: CrmLoaders
