"""What a process costs, read from ``/proc``: resident memory and CPU seconds so far.

The subscription benchmark reads them for the processes it starts, so that the gateway's
memory per subscriber and each process's share of a core come from the kernel's own counters,
not from anything the processes say about themselves.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CpuMeter", "cpu_seconds", "rss_kib", "waiting_seconds"]

_TICKS = os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    """The resident set size of ``pid`` in KiB (``VmRSS`` of ``/proc/<pid>/status``)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds ``pid`` has used (``/proc/<pid>/stat``, threads included)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name (field 2) may hold spaces; the fields after its ")" are fixed.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def waiting_seconds(pid: int) -> float:
    """Seconds the threads of ``pid`` have spent runnable but waiting for a core (the second
    field of each ``/proc/<pid>/task/<tid>/schedstat``): on a shared machine, the time other
    processes had the core this one wanted. 0.0 where the kernel keeps no schedstats."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[1])
        except (FileNotFoundError, IndexError):
            continue
    return total / 1e9


@dataclass
class CpuMeter:
    """CPU used by a set of processes between ``start`` and ``stop``, as a share of one core."""

    pids: dict[str, list[int]]
    _started: dict[str, float] | None = None
    _wall: float = 0.0

    def _now(self) -> dict[str, float]:
        return {name: sum(cpu_seconds(pid) for pid in pids) for name, pids in self.pids.items()}

    def start(self, wall: float) -> None:
        self._started, self._wall = self._now(), wall

    def stop(self, wall: float) -> dict[str, float]:
        """Per name, CPU seconds used since ``start`` over wall seconds (1.0 = one core busy)."""
        if self._started is None:
            raise RuntimeError("CpuMeter.stop before start")
        elapsed = max(wall - self._wall, 1e-9)
        now = self._now()
        return {name: (now[name] - self._started[name]) / elapsed for name in self.pids}
