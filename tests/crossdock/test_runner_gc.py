"""A served process runs the cyclic collector at ``crossdock.runner.GC_THRESHOLDS``: with
CPython's young generation of 700, a gateway holding 10,000 subscriptions promoted each
delivery's objects and paused 1 to 5 s in a full collection every few seconds
(bench/subscriptions.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import httpx

from crossdock.runner import GC_THRESHOLDS
from tests.support.ports import reserve_port
from tests.support.waiting import wait_until

# An app that answers with the collector's thresholds and frozen count, served by the runner.
_SERVED = textwrap.dedent(
    """
    import gc, sys
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route
    from crossdock.runner import Service, run

    async def thresholds(request):
        return JSONResponse({"thresholds": gc.get_threshold(), "frozen": gc.get_freeze_count()})

    app = Starlette(routes=[Route("/gc", thresholds)])
    run([Service("probe", app, "127.0.0.1", int(sys.argv[1]))])
    """
)


def _answer(port: int) -> dict[str, object] | None:
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/gc", timeout=2)
    except httpx.TransportError:
        return None
    answer: dict[str, object] = response.json()
    return answer


def test_a_served_process_collects_at_the_runners_thresholds() -> None:
    port = reserve_port()
    proc = subprocess.Popen(
        [sys.executable, "-c", _SERVED, str(port)],
        env={**os.environ},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        answers: list[dict[str, object]] = []

        def answered() -> bool:
            assert proc.poll() is None, "the served probe exited"
            found = _answer(port)
            if found is not None:
                answers.append(found)
            return found is not None

        wait_until(answered, timeout=30, what="the served probe to answer")
        assert answers[-1]["thresholds"] == list(GC_THRESHOLDS)
        # What start-up built is frozen out of the collector's walks.
        assert isinstance(answers[-1]["frozen"], int) and answers[-1]["frozen"] > 0
    finally:
        proc.terminate()
        proc.wait(timeout=30)
