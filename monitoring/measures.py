"""The measures over a window, computed from the samples a store returns: percentiles of cycle
times (all centers and per center), fallout counts and rates, time buckets for charts, the
shipment status latency. Pure functions over typed rows."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from monitoring.records import CycleStage, FalloutKind, Sample

__all__ = [
    "CycleBucket",
    "CycleTime",
    "Fallout",
    "FalloutBucket",
    "Latency",
    "cycle_series",
    "cycle_times",
    "fallout",
    "fallout_series",
    "latency",
    "percentile",
]


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) of ``values``, interpolated between the closest ranks
    (``None`` when there are none)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True, slots=True)
class CycleTime:
    stage: CycleStage
    center_id: str | None
    count: int
    p50_seconds: float | None
    p90_seconds: float | None


@dataclass(frozen=True, slots=True)
class CycleBucket:
    start: float
    stage: CycleStage
    count: int
    p50_seconds: float | None
    p90_seconds: float | None


@dataclass(frozen=True, slots=True)
class Fallout:
    kind: FalloutKind
    reason: str
    count: int
    rate: float


@dataclass(frozen=True, slots=True)
class FalloutBucket:
    start: float
    kind: FalloutKind
    count: int


@dataclass(frozen=True, slots=True)
class Latency:
    count: int
    p50_seconds: float | None
    p99_seconds: float | None


def cycle_times(samples: Iterable[Sample]) -> list[CycleTime]:
    """Per stage pair: all centers together (``center_id`` ``None``), then each center."""
    by_stage: dict[CycleStage, list[float]] = defaultdict(list)
    by_center: dict[tuple[CycleStage, str], list[float]] = defaultdict(list)
    for sample in samples:
        stage = CycleStage(sample.label)
        by_stage[stage].append(sample.value)
        if sample.center_id is not None:
            by_center[stage, sample.center_id].append(sample.value)
    out: list[CycleTime] = []
    for stage in CycleStage:
        values = by_stage.get(stage, [])
        out.append(CycleTime(stage, None, len(values), percentile(values, 0.5),
                             percentile(values, 0.9)))  # fmt: skip
        for (s, center), values in sorted(by_center.items()):
            if s is stage:
                out.append(
                    CycleTime(stage, center, len(values), percentile(values, 0.5),
                              percentile(values, 0.9))
                )  # fmt: skip
    return out


def _bucket(at: float, seconds: float) -> float:
    return math.floor(at / seconds) * seconds


def cycle_series(samples: Iterable[Sample], bucket_seconds: float) -> list[CycleBucket]:
    """Per time bucket (oldest first) and stage pair, the buckets with a sample."""
    buckets: dict[tuple[float, CycleStage], list[float]] = defaultdict(list)
    for sample in samples:
        buckets[_bucket(sample.at, bucket_seconds), CycleStage(sample.label)].append(sample.value)
    order = list(CycleStage)
    keys = sorted(buckets, key=lambda key: (key[0], order.index(key[1])))
    return [
        CycleBucket(start, stage, len(v), percentile(v, 0.5), percentile(v, 0.9))
        for start, stage in keys
        for v in (buckets[start, stage],)
    ]


def fallout(samples: Iterable[Sample], submitted: int) -> list[Fallout]:
    """Per kind and reason, most first; the rate is over the orders submitted."""
    counts: dict[tuple[FalloutKind, str], int] = defaultdict(int)
    for sample in samples:
        counts[FalloutKind(sample.label), sample.reason or ""] += 1
    rows = [
        Fallout(kind, reason, count, count / submitted if submitted else 0.0)
        for (kind, reason), count in counts.items()
    ]
    return sorted(rows, key=lambda row: (-row.count, row.kind.value, row.reason))


def fallout_series(samples: Iterable[Sample], bucket_seconds: float) -> list[FalloutBucket]:
    """Per time bucket (oldest first) and kind, the buckets with a fallout."""
    counts: dict[tuple[float, FalloutKind], int] = defaultdict(int)
    for sample in samples:
        counts[_bucket(sample.at, bucket_seconds), FalloutKind(sample.label)] += 1
    order = list(FalloutKind)
    keys = sorted(counts, key=lambda key: (key[0], order.index(key[1])))
    return [FalloutBucket(start, kind, counts[start, kind]) for start, kind in keys]


def latency(samples: Sequence[Sample]) -> Latency:
    values = [sample.value for sample in samples]
    return Latency(len(values), percentile(values, 0.5), percentile(values, 0.99))
