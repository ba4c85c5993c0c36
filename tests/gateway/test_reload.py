"""Hot reload: a broken supergraph file is refused with a logged reason, a good one is picked
up, the watcher survives anything, and requests in flight finish on the plan they started."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest

from gateway import Gateway
from gateway.executor import SubgraphTransport
from gateway.server import SupergraphWatcher, load_supergraph
from gateway.wire import GraphQLRequest, GraphQLResponse
from tests.gateway.conformance.cases import entities
from tests.support.waiting import wait_until_async

SOURCE = entities.CASE.supergraph_path.read_text()
RENAMED = SOURCE.replace("orgs: [Org!]!", "teams: [Org!]!")

BROKEN = {
    "unknown-graph": (
        SOURCE.replace(
            '@join__type(graph: LEDGER, key: "region number")',
            '@join__type(graph: NOPE, key: "region number")',
        ),
        "names graph NOPE",
    ),
    "key-does-not-parse": (
        SOURCE.replace('key: "region number")', 'key: "region { number")', 1),
        "does not parse",
    ),
    "key-field-missing": (
        SOURCE.replace('key: "region number")', 'key: "region nope")', 1),
        "Account.nope does not exist",
    ),
    "not-graphql": ("not a supergraph", "does not parse"),
}


class HeldTransport(SubgraphTransport):
    """Answers ``orgs`` from memory, holding each answer until ``release`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[GraphQLRequest] = []
        self.release = asyncio.Event()

    async def send(
        self, service: str, url: str, request: GraphQLRequest, **options: Any
    ) -> GraphQLResponse:
        self.sent.append(request)
        await self.release.wait()
        return {"data": {"orgs": [{"name": "Acme"}], "teams": [{"name": "Acme"}]}}


@pytest.fixture
def supergraph_file(tmp_path: Path) -> Path:
    path = tmp_path / "supergraph.graphql"
    path.write_text(SOURCE)
    return path


def root_fields(gateway: Gateway) -> set[str]:
    query_type = gateway.supergraph.api_schema.query_type
    assert query_type is not None
    return set(query_type.fields)


@pytest.mark.parametrize("broken", list(BROKEN), ids=list(BROKEN))
async def test_a_broken_file_keeps_the_last_good_supergraph(
    broken: str, supergraph_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text, reason = BROKEN[broken]
    gateway = Gateway(load_supergraph(supergraph_file))
    watcher = SupergraphWatcher(gateway, supergraph_file, interval=0)
    served = gateway.supergraph
    supergraph_file.write_text(text)
    with caplog.at_level(logging.WARNING, logger="gateway.reload"):
        assert watcher.check() is False
    assert gateway.supergraph is served
    assert watcher.failures == 1
    [record] = [r for r in caplog.records if r.name == "gateway.reload"]
    assert "keeping the current one" in record.getMessage()
    assert reason in record.getMessage()

    supergraph_file.write_text(RENAMED)
    assert watcher.check() is True
    assert "teams" in root_fields(gateway)
    await gateway.aclose()


async def test_the_watcher_survives_any_exception(
    supergraph_file: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    gateway = Gateway(load_supergraph(supergraph_file))
    watcher = SupergraphWatcher(gateway, supergraph_file, interval=0.01)

    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("gateway.server._reload.parse_supergraph", explode)
    watcher.start()
    try:
        supergraph_file.write_text(RENAMED + "\n")

        async def failed() -> bool:
            return watcher.failures > 0

        await wait_until_async(failed, what="the failed reload")
        assert "RuntimeError: disk on fire" in caplog.text
        assert "orgs" in root_fields(gateway)

        monkeypatch.undo()
        supergraph_file.write_text(RENAMED)

        async def reloaded() -> bool:
            return watcher.reloads == 1

        await wait_until_async(reloaded, what="the good file after the failure")
        assert "teams" in root_fields(gateway)
    finally:
        await watcher.stop()
        await gateway.aclose()


async def test_requests_in_flight_finish_on_the_old_plan(supergraph_file: Path) -> None:
    transport = HeldTransport()
    gateway = Gateway(load_supergraph(supergraph_file), transport=transport)
    watcher = SupergraphWatcher(gateway, supergraph_file, interval=0)
    in_flight = asyncio.create_task(gateway.execute({"query": "{ orgs { name } }"}))

    async def fetching() -> bool:
        return len(transport.sent) == 1

    await wait_until_async(fetching, what="the first fetch")
    supergraph_file.write_text(RENAMED)
    assert watcher.check() is True

    # The new supergraph no longer has ``orgs``: a new request is refused, the old one runs.
    refused = await gateway.execute({"query": "{ orgs { name } }"})
    assert refused.status == "invalid"
    transport.release.set()
    outcome = await in_flight
    assert outcome.response == {"data": {"orgs": [{"name": "Acme"}]}}
    renamed = await gateway.execute({"query": "{ teams { name } }"})
    assert renamed.response == {"data": {"teams": [{"name": "Acme"}]}}
    await gateway.aclose()
