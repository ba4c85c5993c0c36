"""Each workflow step leaves one JSON log line with its timing and outcome."""

from __future__ import annotations

import json
import logging

import pytest

from connectors.http import SystemUnavailable
from resolvers.steplog import STEP_TOTALS, prometheus_text, step


async def test_a_step_logs_its_timing_and_outcome(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="resolvers.steps")
    async with step("submitOrder", "WF-1", "reserve", "wms"):
        pass
    [record] = caplog.records
    line = json.loads(record.getMessage())
    assert line["event"] == "workflow_step"
    assert (line["workflow_id"], line["step"], line["system"], line["outcome"]) == (
        "WF-1",
        "reserve",
        "wms",
        "ok",
    )
    assert line["ms"] >= 0
    assert STEP_TOTALS[("submitOrder", "reserve", "ok")][0] >= 1


async def test_a_failed_step_logs_why(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="resolvers.steps")
    with pytest.raises(SystemUnavailable):
        async with step("submitOrder", "WF-2", "create_order", "erp"):
            raise SystemUnavailable("erp", "erp answered 503")
    line = json.loads(caplog.records[0].getMessage())
    assert (line["outcome"], line["error"]) == ("failed", "erp answered 503")


async def test_the_totals_read_as_prometheus_counters() -> None:
    async with step("submitOrder", "WF-3", "release", "wms"):
        pass
    text = prometheus_text()
    assert 'crossdock_workflow_steps_total{workflow="submitOrder",step="release",outcome="ok"}' in (
        text
    )
    assert "# TYPE crossdock_workflow_step_seconds_total counter" in text
