"""``bench.serving fedbench --memoize``, as the benchmarks start it: the lean replay front
answers what the real subgraph answers, sends a body it has not seen to that subgraph once,
replays it after, and counts every ``POST`` (a smoke test of the benchmark's upstreams)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
QUERY = {"query": "{ topProducts(first: 2) { upc name price } }"}


def _serve(*flags: str) -> Iterator[dict[str, str]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "bench.serving", "fedbench", *flags]
    with subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()  # printed once every subgraph accepts requests
            assert line, process.stderr.read() if process.stderr else "no output"
            yield json.loads(line)["subgraphs"]
        finally:
            process.terminate()
            process.wait(timeout=30)


@pytest.fixture(scope="module")
def replayed() -> Iterator[dict[str, str]]:
    yield from _serve("--memoize")


@pytest.fixture(scope="module")
def executed() -> Iterator[dict[str, str]]:
    yield from _serve()


def _calls(url: str) -> tuple[int, int]:
    """``POST`` requests the front had, and how many of them it sent on to the subgraph."""
    counts = httpx.get(url.removesuffix("/graphql") + "/_calls", timeout=10).json()
    return int(counts["calls"]), int(counts["forwarded"])


def test_the_front_answers_as_the_subgraph_does_and_replays_what_it_has_seen(
    replayed: dict[str, str], executed: dict[str, str]
) -> None:
    expected = httpx.post(executed["products"], json=QUERY, timeout=10)
    assert expected.status_code == 200 and expected.json()["data"]["topProducts"]

    calls, forwarded = _calls(replayed["products"])
    with httpx.Client(timeout=10) as client:  # one kept-alive connection for all three
        answers = [client.post(replayed["products"], json=QUERY) for _ in range(3)]

    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert [answer.json() for answer in answers] == [expected.json()] * 3
    assert answers[0].headers["content-type"] == "application/json"
    assert _calls(replayed["products"]) == (calls + 3, forwarded + 1)


def test_an_answer_that_is_not_a_200_is_passed_on_and_not_kept(
    replayed: dict[str, str], executed: dict[str, str]
) -> None:
    refused = httpx.post(executed["products"], content=b"{not json", timeout=10).status_code
    assert refused != 200
    with httpx.Client(timeout=10) as client:
        before = _calls(replayed["products"])
        broken = [client.post(replayed["products"], content=b"{not json") for _ in range(2)]
        after = client.post(replayed["products"], json=QUERY)
    assert [answer.status_code for answer in broken] == [refused, refused]
    # Both broken bodies went to the subgraph: a refusal is not kept. The good one may have
    # been seen by the other test (the front is shared by the module).
    assert _calls(replayed["products"])[1] >= before[1] + 2
    assert after.status_code == 200 and after.json()["data"]["topProducts"]
