"""``bench.subscriptions`` end to end at a small scale: it runs, every subscriber receives every
milestone, and it prints the figures (latency, events/s, memory per subscriber) per selection.

The script starts its own backend, gateway and load processes on loopback over the real
Redis; a smoke test of the benchmark, not a measurement.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

from tests.support.redis import require_redis

ROOT = Path(__file__).resolve().parents[2]


def median_rows(output: str) -> dict[str, list[str]]:
    """The rows of the final table, by selection: the cells of each ``|``-separated part."""
    lines = output.splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("median of"))
    rows = {}
    for line in lines[start + 2 :]:
        cells = [part.split() for part in line.split("|")]
        rows[cells[0][0]] = [cell for part in cells for cell in part]
    return rows


def test_the_benchmark_prints_its_figures_with_every_milestone_delivered() -> None:
    redis_url = require_redis()
    command = [sys.executable, "-m", "bench.subscriptions", "--subscribers", "20",
               "--per-order", "2", "--runs", "1", "--rate", "10", "--duration", "1",
               "--settle", "20", "--load-processes", "2", "--no-pin",
               "--redis-url", redis_url]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = median_rows(done.stdout)
    assert set(rows) == {"wms", "entities"}, done.stdout
    for name, cells in rows.items():
        # name, live | p50 p99 ev/s lost | intake/s ev/s p50 p99 lost | KiB gw, KiB backend
        live, rate_lost, burst_lost = int(cells[1]), int(cells[5]), int(cells[10])
        assert (live, rate_lost, burst_lost) == (20, 0, 0), f"{name}: {done.stdout}"
        figures = [float(cell) for cell in cells[2:5] + cells[6:10] + cells[11:13]]
        assert all(math.isfinite(f) and f > 0 for f in figures[:-2]), f"{name}: {cells}"
        assert all(math.isfinite(f) for f in figures[-2:]), f"{name}: {cells}"
    assert "errors" not in done.stdout, done.stdout
