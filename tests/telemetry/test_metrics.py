"""``telemetry.metrics``: one registry per app, capped labels, URL templates, and the
exposition of several processes writing into one ``PROMETHEUS_MULTIPROC_DIR``."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from telemetry.metrics import MULTIPROCESS_DIR_ENV, OTHER, CappedLabel, Metrics, url_template
from tests.support.metrics import parse, scrape

ROOT = Path(__file__).resolve().parents[2]


def test_a_capped_label_keeps_its_first_values() -> None:
    capped = CappedLabel(2)
    assert [capped(v) for v in ("a", "b", "c", "a", "d", "b")] == ["a", "b", OTHER, "a", OTHER, "b"]
    assert len(capped) == 2
    # A client naming its operation "other" does not take a place.
    assert CappedLabel(1)(OTHER) == OTHER


@pytest.mark.parametrize(
    ("path", "template"),
    [
        ("/salesOrders/SO-100100", "/salesOrders/{id}"),
        ("/returnAuthorizations/RA-7/receive", "/returnAuthorizations/{id}/receive"),
        ("/items", "/items"),
        ("/salesOrders?ids=1,2", "/salesOrders"),
        ("/reservations/5f0c2d1e-0000-4000-8000-000000000001", "/reservations/{id}"),
    ],
)
def test_url_templates_name_kinds_of_call(path: str, template: str) -> None:
    assert url_template(path) == template


def test_apps_in_one_process_keep_their_own_series() -> None:
    one, two = Metrics(), Metrics()
    one.counter("test_things", "things").inc(3)
    two.counter("test_things", "things").inc()
    # The same name asked again is the same family; another kind under it is refused.
    one.counter("test_things", "things").inc()
    with pytest.raises(ValueError, match="already a Counter"):
        one.gauge("test_things", "things")
    assert parse(asyncio.run(one.exposition()).decode()).value("test_things_total") == 4
    assert parse(asyncio.run(two.exposition()).decode()).value("test_things_total") == 1


@pytest.fixture
def two_processes(tmp_path: Path) -> Iterator[list[str]]:
    """Two worker processes writing their metrics into one directory, each on its own port."""
    env = {**os.environ, MULTIPROCESS_DIR_ENV: str(tmp_path)}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.telemetry.worker"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        urls = []
        for process in processes:
            assert process.stdout is not None
            port = process.stdout.readline().strip()  # printed once it listens
            assert port, f"worker exited with {process.wait(timeout=10)}"
            urls.append(f"http://127.0.0.1:{port}")
        yield urls
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)
            if process.stdout is not None:
                process.stdout.close()


def test_any_process_answers_for_all_of_them(two_processes: list[str]) -> None:
    first, second = two_processes
    for url, times in ((first, 3), (second, 2)):
        for _ in range(times):
            assert httpx.get(f"{url}/work", timeout=10).status_code == 200
    work = {"http_request_method": "GET", "http_route": "/work"}
    for url in (first, second):
        samples = scrape(url)
        assert samples.value("http_server_request_duration_seconds_count", **work) == 5
        assert samples.value("http_server_request_duration_seconds_bucket", le="+Inf", **work) == 5
        assert samples.value("test_processes_up") == 2
