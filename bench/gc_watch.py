"""Log the cyclic garbage collector's pauses of a benchmark process, to tell them from other
stalls: ``install()`` reads ``CROSSDOCK_BENCH_GC_LOG`` (a file path; unset: nothing is
installed) and appends one line per collection that took ``CROSSDOCK_BENCH_GC_MIN_MS`` (5)
or more: monotonic seconds, pid, generation, wall and CPU milliseconds (the CPU far below
the wall: the process waited for its core), objects collected. On SIGUSR1 it
appends the collector's tracked objects by type (the 30 most numerous) and their count."""

from __future__ import annotations

import gc
import os
import signal
import time
from collections import Counter
from typing import Any

from crossdock.runner import GC_THRESHOLDS

__all__ = ["install", "thresholds"]


def thresholds() -> tuple[int, ...]:
    """``CROSSDOCK_BENCH_GC_THRESHOLDS`` (``g0,g1,g2``, e.g. ``700,10,10``: CPython's, to
    compare), else the served processes' own (``crossdock.runner.GC_THRESHOLDS``)."""
    given = os.environ.get("CROSSDOCK_BENCH_GC_THRESHOLDS")
    return tuple(int(t) for t in given.split(",")) if given else GC_THRESHOLDS


def install() -> None:
    path = os.environ.get("CROSSDOCK_BENCH_GC_LOG")
    if not path:
        return
    least = float(os.environ.get("CROSSDOCK_BENCH_GC_MIN_MS", "5")) / 1000
    out = open(path, "a", buffering=1)  # noqa: SIM115 - open for the process's life
    started = [0.0, 0.0]

    def watch(phase: str, info: dict[str, Any]) -> None:
        now, cpu = time.monotonic(), time.process_time()
        if phase == "start":
            started[0], started[1] = now, cpu
            return
        took = now - started[0]
        if took >= least:
            objects = sum(gc.get_count())
            out.write(
                f"{now:.3f} {os.getpid()} gen{info['generation']} {took * 1000:.1f} ms "
                f"(cpu {(cpu - started[1]) * 1000:.1f} ms) "
                f"collected {info['collected']} tracked-young {objects}\n"
            )

    gc.callbacks.append(watch)

    def census(signum: int, frame: Any) -> None:
        objects = gc.get_objects()
        kinds = Counter(type(o).__qualname__ for o in objects)
        out.write(
            f"{time.monotonic():.3f} {os.getpid()} tracked {len(objects)}"
            f" frozen {gc.get_freeze_count()}\n"
        )
        for kind, count in kinds.most_common(30):
            out.write(f"    {count:>9} {kind}\n")
        del objects

    signal.signal(signal.SIGUSR1, census)
