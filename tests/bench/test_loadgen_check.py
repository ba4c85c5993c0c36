"""``bench.loadgen_check`` end to end: both load generators count exactly the requests the
server answered, at rates either can generate, and report finite latencies.

The script starts its own server on loopback; a smoke test of the load generators, not a
measurement.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_each_load_generator_counts_what_the_server_answered() -> None:
    command = [sys.executable, "-m", "bench.loadgen_check", "--concurrency", "1", "8",
               "--duration", "1", "--delay-ms", "5"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    rows = [line.split() for line in done.stdout.splitlines() if line.split()[:1] in
            (["httpx"], ["lean"])]  # fmt: skip
    assert [(row[0], row[1]) for row in rows] == [
        ("httpx", "1"), ("lean", "1"), ("httpx", "8"), ("lean", "8")
    ], done.stdout  # fmt: skip
    for name, _, requests, seen, rps, p50, p99, _ in rows:
        assert int(requests) == int(seen) > 0, f"{name}: {done.stdout}"
        assert all(math.isfinite(float(f)) and float(f) > 0 for f in (rps, p50, p99)), name
        # Every answer took at least the server's delay.
        assert float(p50) >= 5.0, f"{name}: {done.stdout}"
    assert not done.stderr.strip(), done.stderr[-3000:]
