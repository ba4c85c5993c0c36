"""Do the two load generators agree? ``python -m bench.loadgen_check``.

Serves an answer of fedbench's size (~90 KB) after a fixed delay (``--delay-ms``) from a
uvicorn process of its own (on ``--server-cpu``), then loads it in turn with
:func:`bench.loadgen.run_load` (httpx) and :func:`bench.loadgen.run_lean_load`
(:mod:`bench.http1`) at rates both can generate, and prints for each the requests it counted,
the requests the server counted, requests/s, p50/p99 latency and the load generator's CPU per
request. At such rates the two must agree with each other and with the server; the CPU column
says how far each can go on one core.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from contextlib import ExitStack

import httpx
from starlette.types import Receive, Scope, Send

from bench.gateway_vs_apollo import ROOT, free_port, pinned, process, wait_until_answers
from bench.loadgen import drive, run_lean_load, run_load

_ANSWER = b'{"data": "' + b"x" * 90_000 + b'"}'


class _DelayedAnswer:
    """An ASGI app: every POST answered with ``_ANSWER`` after ``delay`` s, and counted."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.posts = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        if scope["method"] == "POST":
            while (await receive()).get("more_body"):
                pass
            self.posts += 1
            await asyncio.sleep(self.delay)
            body = _ANSWER
        else:
            body = b"%d" % self.posts
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def serve(port: int, delay_ms: float) -> None:
    import uvicorn

    uvicorn.run(_DelayedAnswer(delay_ms / 1000), port=port, log_level="warning", loop="uvloop")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen_check", description=__doc__)
    parser.add_argument("--delay-ms", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--duration", type=float, default=4.0)
    parser.add_argument("--server-cpu", type=int, default=1)
    parser.add_argument("--load-cpu", type=int, default=0)
    args = parser.parse_args(argv)
    os.sched_setaffinity(0, {args.load_cpu})
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    command = [sys.executable, "-c", f"from bench.loadgen_check import serve; serve({port}, "
               f"{args.delay_ms})"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with ExitStack() as stack:
        stack.enter_context(process(pinned(args.server_cpu, command), cwd=ROOT, env=env))
        wait_until_answers(url)
        print(f"answer {len(_ANSWER)} bytes after {args.delay_ms:g} ms; {args.duration:g} s each")
        print(
            f"  {'loadgen':<8}{'c':>5}{'requests':>10}{'server saw':>12}{'requests/s':>12}"
            f"{'p50 ms':>9}{'p99 ms':>9}{'load CPU µs/req':>17}"
        )
        for concurrency in args.concurrency:
            for name, generate in (("httpx", run_load), ("lean", run_lean_load)):
                before = int(httpx.get(url).text)
                load = drive(
                    generate(
                        url,
                        b"{}",
                        concurrency=concurrency,
                        seconds=args.duration,
                        max_requests=1_000_000,
                    )
                )
                seen = int(httpx.get(url).text) - before
                per_request = load.load_cpu_seconds / max(load.requests, 1) * 1e6
                print(
                    f"  {name:<8}{concurrency:>5}{load.requests:>10}{seen:>12}{load.rps:>12.1f}"
                    f"{load.p50_ms:>9.2f}{load.p99_ms:>9.2f}{per_request:>17.0f}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
