"""What the system tests share: a system of a test's own, and calls racing from threads."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from crossdock.settings import Settings, SystemName
from systems.apps import create_system_app
from tests.support.servers import serve

__all__ = ["CONCURRENT_CLIENTS", "Call", "concurrently", "private_system", "race"]

CONCURRENT_CLIENTS = 20  # how many clients a test of concurrent writes lets go at once

Call = Callable[[httpx.Client], httpx.Response]


@contextmanager
def private_system(
    name: SystemName,
    base_settings: Settings,
    directory: Path,
) -> Iterator[httpx.Client]:
    """A client of system ``name`` running over a copy of its seeded database."""
    source = sqlite3.connect(base_settings.systems.db_path(name))
    target = sqlite3.connect(directory / f"{name}.sqlite3")
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    settings = base_settings.model_copy(update={"data_dir": directory})
    with (
        serve(create_system_app(name, settings.systems)) as url,
        httpx.Client(base_url=url, timeout=30) as client,
    ):
        yield client


def race(client: httpx.Client, calls: Sequence[Call]) -> list[httpx.Response]:
    """Every call of ``calls`` from a thread of its own, all let go at once, each with a
    client of its own; the answers in the order of ``calls``."""
    start = threading.Barrier(len(calls))
    answers: dict[int, httpx.Response] = {}
    lock = threading.Lock()

    def run(n: int, call: Call) -> None:
        with httpx.Client(base_url=client.base_url, timeout=60) as own:
            start.wait()
            answer = call(own)
        with lock:
            answers[n] = answer

    threads = [threading.Thread(target=run, args=(n, call)) for n, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(answers) == len(calls)
    return [answers[n] for n in range(len(calls))]


def concurrently(client: httpx.Client, count: int, call: Call) -> list[httpx.Response]:
    """``call`` from ``count`` threads at once, each with a client of its own."""
    return race(client, [call] * count)
