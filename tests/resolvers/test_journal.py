"""Both journals keep a workflow's steps and list the unfinished ones, oldest first."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from resolvers.journal import RedisJournal, SqliteJournal, WorkflowJournal, WorkflowState


@pytest.fixture(params=["sqlite", "redis"])
async def journal(
    request: pytest.FixtureRequest, tmp_path: Path, redis_url: str, redis_prefix: str
) -> AsyncIterator[WorkflowJournal]:
    subject: WorkflowJournal
    if request.param == "sqlite":
        subject = SqliteJournal(tmp_path / "journal.sqlite3")
    else:
        subject = RedisJournal(redis_url, prefix=redis_prefix)
    yield subject
    await subject.aclose()


def state(workflow_id: str) -> WorkflowState:
    return WorkflowState(id=workflow_id, kind="submitOrder", request={"accountId": "A"})


async def test_a_saved_state_loads_back(journal: WorkflowJournal) -> None:
    first = state("WF-1").after("plan", plan={"subtotal": "1.00"})
    await journal.save(first)
    loaded = await journal.load("WF-1")
    assert loaded is not None
    assert (loaded.steps, loaded.data, loaded.status) == (("plan",), first.data, "RUNNING")
    assert await journal.load("WF-none") is None


async def test_only_running_workflows_are_unfinished(journal: WorkflowJournal) -> None:
    for n in range(3):
        await journal.save(state(f"WF-{n}"))
    await journal.save(state("WF-1").finished("COMPLETED", {"outcome": "CONFIRMED"}))
    assert [s.id for s in await journal.unfinished()] == ["WF-0", "WF-2"]
    ended = await journal.load("WF-1")
    assert ended is not None
    assert ended.result == {"outcome": "CONFIRMED"}


def test_the_sqlite_journal_survives_a_new_process(tmp_path: Path) -> None:
    import asyncio

    async def write() -> None:
        journal = SqliteJournal(tmp_path / "journal.sqlite3")
        await journal.save(state("WF-9").after("reserve", reservation="WF-9-R"))
        await journal.aclose()

    async def read() -> list[WorkflowState]:
        journal = SqliteJournal(tmp_path / "journal.sqlite3")
        try:
            return await journal.unfinished()
        finally:
            await journal.aclose()

    asyncio.run(write())
    [again] = asyncio.run(read())
    assert again.data == {"reservation": "WF-9-R"}


async def test_workflows_are_found_by_their_order(journal: WorkflowJournal) -> None:
    await journal.save(state("WF-1").after("create_order", orderId="42"))
    await journal.save(
        WorkflowState(id="WF-2", kind="cancelOrder", request={"orderId": "42", "lines": None})
    )
    await journal.save(state("WF-3").after("create_order", orderId="43"))
    assert sorted(s.id for s in await journal.of_order("42")) == ["WF-1", "WF-2"]
    assert await journal.of_order("44") == []
