"""subgraphs.common.scoping: what a loader answers an actor limited to one account."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from schema.actor import SYSTEM, Actor
from subgraphs.common.identity import NOBODY
from subgraphs.common.scoping import scoped, scoped_by, visible


@dataclass(frozen=True)
class Record:
    id: str
    account_id: str | None
    order_id: str = ""


X = Actor(subject="x", scopes=frozenset({"orders:read"}), account_id="X")
STAFF = Actor(subject="s", scopes=frozenset({"staff"}), account_id="X")
RECORDS = [Record("1", "X"), Record("2", "Y"), Record("3", None)]


def test_visible_keeps_the_actors_account_only() -> None:
    assert visible(X, RECORDS, lambda r: r.account_id) == [RECORDS[0]]
    assert visible(NOBODY, RECORDS, lambda r: r.account_id) == []
    assert visible(STAFF, RECORDS, lambda r: r.account_id) == RECORDS
    assert visible(SYSTEM, RECORDS, lambda r: r.account_id) == RECORDS


async def test_scoped_filters_a_bulk_call() -> None:
    async def fetch(ids: list[str]) -> list[Record]:
        return [r for r in RECORDS if r.id in ids]

    assert list(await scoped(X, fetch, lambda r: r.account_id)(["1", "2"])) == [RECORDS[0]]
    assert scoped(STAFF, fetch, lambda r: r.account_id) is fetch


async def test_scoped_by_asks_the_parents_accounts_once_for_every_record() -> None:
    shipments = [Record("s1", None, "o1"), Record("s2", None, "o2"), Record("s3", None, "o1")]
    asked: list[Sequence[str]] = []

    async def fetch(ids: list[str]) -> list[Record]:
        return shipments

    async def accounts_of(orders: Sequence[str]) -> list[str | None]:
        asked.append(list(orders))
        return [{"o1": "X", "o2": "Y"}.get(order) for order in orders]

    found = await scoped_by(X, fetch, lambda r: r.order_id, accounts_of)(["any"])
    assert [r.id for r in found] == ["s1", "s3"]
    assert asked == [["o1", "o2"]]
    assert list(await scoped_by(NOBODY, fetch, lambda r: r.order_id, accounts_of)(["any"])) == []
    assert asked == [["o1", "o2"]]  # limited to no account: nothing asked
