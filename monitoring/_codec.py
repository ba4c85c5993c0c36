"""The stores' wire forms of a sample and an order's state (orjson)."""

from __future__ import annotations

import orjson

from monitoring.records import Measure, OrderState, Sample

__all__ = ["dump_sample", "dump_state", "load_sample", "load_state"]


def dump_state(state: OrderState) -> bytes:
    return orjson.dumps(state.json())


def load_state(data: bytes | str) -> OrderState:
    return OrderState.from_json(orjson.loads(data))


def dump_sample(sample: Sample, event_id: str) -> bytes:
    return orjson.dumps(
        {
            "e": event_id,
            "m": sample.measure.value,
            "l": sample.label,
            "t": sample.at,
            "v": sample.value,
            "c": sample.center_id,
            "r": sample.reason,
            "o": sample.order_id,
        }
    )


def load_sample(data: bytes | str) -> Sample:
    raw = orjson.loads(data)
    return Sample(
        Measure(raw["m"]), raw["l"], raw["t"], raw["v"],
        center_id=raw["c"], reason=raw["r"], order_id=raw["o"],
    )  # fmt: skip
