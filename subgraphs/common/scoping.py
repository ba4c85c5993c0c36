"""Account scoping in the loaders: a customer's request loads only its own account's records.

The gateway cannot know which record belongs to which account, so each subgraph filters what
its loaders answer by the request's ``Actor`` (docs/auth.md, "Our graph's scopes and
accounts"). Filtering there, not in the resolvers, covers every path to a record at once: a
root field, a nested field, an ``_entities`` reference, a loader primed by a list. A record
of another account is absent, as if it did not exist. Reference data (products, price lists,
centers) is not scoped.

An actor whose ``account_scope`` is None (staff, or auth off) gets the loaders unchanged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import TypeVar

from schema.actor import Actor

__all__ = ["AccountsOf", "scoped", "scoped_by", "visible"]

K = TypeVar("K")
R = TypeVar("R")

AccountsOf = Callable[[Sequence[str]], Awaitable[Sequence[str | None]]]
"""The accounts of some parent records (ERP orders, by id), in their order, None for one
unknown: a batched loader's ``load_many``."""


def visible(actor: Actor, records: Iterable[R], account_of: Callable[[R], str | None]) -> list[R]:
    """The ``records`` ``actor`` may see, in their order; ``account_of`` tells a record's."""
    if actor.account_scope is None:
        return list(records)
    return [record for record in records if actor.may_see(account_of(record))]


def scoped(
    actor: Actor,
    fetch: Callable[[list[K]], Awaitable[Iterable[R]]],
    account_of: Callable[[R], str | None],
) -> Callable[[list[K]], Awaitable[Iterable[R]]]:
    """``fetch`` (a bulk call) answering only the records of ``actor``'s account."""
    if actor.account_scope is None:
        return fetch

    async def fetch_visible(keys: list[K]) -> list[R]:
        return visible(actor, await fetch(keys), account_of)

    return fetch_visible


def scoped_by(
    actor: Actor,
    fetch: Callable[[list[K]], Awaitable[Iterable[R]]],
    parent_of: Callable[[R], str],
    accounts_of: AccountsOf,
) -> Callable[[list[K]], Awaitable[Iterable[R]]]:
    """``fetch`` answering only the records whose parent (``parent_of``: an ERP order's id)
    belongs to ``actor``'s account; the parents' accounts come from ``accounts_of``, one
    batched lookup for every record of the call."""
    if actor.account_scope is None:
        return fetch

    async def fetch_visible(keys: list[K]) -> list[R]:
        if actor.account_scope == "":
            return []  # limited to no account: nothing to ask anyone
        records = list(await fetch(keys))
        if not records:
            return records
        parents = list(dict.fromkeys(parent_of(record) for record in records))
        account = dict(zip(parents, await accounts_of(parents), strict=True))
        return [record for record in records if actor.may_see(account[parent_of(record)])]

    return fetch_visible
