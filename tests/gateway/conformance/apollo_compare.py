"""Run the conformance cases through the real ``@apollo/gateway`` and compare with ours.

Not a test (it needs Node and npm packages outside the repository): see ``apollo_reference.md``.

    .venv/bin/python -m tests.gateway.conformance.apollo_compare [CASE ...]

For every query it prints whether Apollo's response equals the case's expected response, and
how many subgraph requests Apollo sent next to the case's fetch count. A difference already
recorded in the case (``Query.apollo``) is reported as ``known``; any other fails the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx

from tests.gateway.conformance.case import Case, Query
from tests.gateway.conformance.cases import ALL_CASES
from tests.gateway.conftest import supergraph_with_urls
from tests.support.servers import serve

__all__ = ["compare_case", "main"]

SCRIPT = Path(__file__).with_name("apollo_reference.mjs")
REF_DIR = os.environ.get("APOLLO_REF_DIR", "/tmp/apollo-ref")


def _start_apollo(stack: ExitStack, supergraph: Path) -> str:
    process = subprocess.Popen(
        ["node", str(SCRIPT), str(supergraph)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "APOLLO_REF_DIR": REF_DIR},
    )
    stack.callback(process.wait, 10)
    stack.callback(process.terminate)
    assert process.stdout is not None
    # The script prints one "ready <url>" line once it listens, or exits on failure.
    line = process.stdout.readline()
    if not line.startswith("ready "):
        raise RuntimeError(f"@apollo/gateway did not start on {supergraph}")
    return line.split()[1]


def _ask(url: str, query: Query) -> tuple[int, Any]:
    body: dict[str, Any] = {"query": query.query}
    if query.variables is not None:
        body["variables"] = query.variables
    if query.operation_name is not None:
        body["operationName"] = query.operation_name
    # Apollo Server refuses POSTs without a preflight header or JSON content type (CSRF guard).
    response = httpx.post(url, json=body, headers={"apollo-require-preflight": "1"}, timeout=30)
    return response.status_code, response.json()


def _ours(answer: Any) -> Any:
    """Apollo's answer in our conventions: its subgraph error code is our SUBGRAPH_ERROR."""
    if isinstance(answer, dict):
        return {k: _ours(v) for k, v in answer.items()}
    if isinstance(answer, list):
        return [_ours(v) for v in answer]
    return "SUBGRAPH_ERROR" if answer == "DOWNSTREAM_SERVICE_ERROR" else answer


def compare_case(case: Case) -> list[dict[str, Any]]:
    """One row per query: Apollo's response, whether it matches, and its fetch count."""
    rows: list[dict[str, Any]] = []
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        subgraphs = case.build()
        urls = {n: stack.enter_context(serve(s.app)) + "/graphql" for n, s in subgraphs.items()}
        supergraph = Path(tmp) / f"{case.name}.graphql"
        supergraph.write_text(supergraph_with_urls(case.supergraph_path.read_text(), urls))
        apollo = _start_apollo(stack, supergraph)
        for query in case.queries:
            for subgraph in subgraphs.values():
                subgraph.requests.clear()
            status, answer = _ask(apollo, query)
            answer = _ours(answer)
            sent = sum(len(s.requests) for s in subgraphs.values())
            rows.append(
                {
                    "case": case.name,
                    "query": query.name,
                    "same": answer == query.expected,
                    "known": query.apollo is not None and answer == _ours(query.apollo),
                    "status": status,
                    "apollo": answer,
                    "ours": query.expected,
                    "apollo_sent": sent,
                    "our_fetches": query.fetches,
                }
            )
    return rows


def main(argv: list[str]) -> int:
    wanted = set(argv)
    differences = 0
    for case in ALL_CASES:
        if wanted and case.name not in wanted:
            continue
        for row in compare_case(case):
            mark = "same" if row["same"] else "known" if row["known"] else "DIFF"
            print(
                f"{mark} {row['case']}: {row['query']} "
                f"(apollo sent {row['apollo_sent']}, ours {row['our_fetches']})"
            )
            if not (row["same"] or row["known"]):
                differences += 1
                print("  apollo:", json.dumps(row["apollo"]))
                print("  ours:  ", json.dumps(row["ours"]))
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
