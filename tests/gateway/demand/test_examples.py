"""The defaults admit every query we show or send, and refuse the attack that took the graph down.

Collected: each ``graphql`` block of the README and ``docs/``, the fedbench benchmark's body,
and every string in ``bench/`` and ``tests/`` that is an operation valid against one of the
repository's supergraphs. A new example the defaults would refuse fails here. (This folder's
own tests build over-limit operations on purpose and are left out.)
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
from graphql import (
    DocumentNode,
    ExecutableDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    parse,
    validate,
)

from gateway.demand import DemandControl, DemandSettings
from gateway.engine import Gateway
from gateway.planner import select_operation
from gateway.supergraph import Supergraph, parse_supergraph
from tests.gateway.composition.unservable import UNSERVABLE

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
DEFAULTS = DemandSettings()

# The attack measured on `crossdock up` (issue 11): 166 bytes within every front-door limit,
# seven levels of account { cases { … } }, about 8^7 rows.
ATTACK = (
    '{ account(id:"001CD0000000348AAA") {'
    + "cases{account{" * 6
    + "cases{caseNumber subject status}"
    + "}}" * 6
    + "}}"
)

_OPERATION = re.compile(r"\s*(\{|query\b|mutation\b|subscription\b|fragment\b)")


@cache
def supergraphs() -> dict[str, Supergraph]:
    paths = [
        ROOT / "schema" / "supergraph.graphql",
        ROOT / "bench" / "fedbench" / "supergraph.graphql",
        *sorted((ROOT / "tests" / "gateway" / "conformance" / "supergraphs").glob("*.graphql")),
        *sorted(
            path
            for path in (ROOT / "tests" / "gateway" / "composition" / "apollo").glob(
                "*/supergraph.*"
            )
            if path.parent.name not in UNSERVABLE
        ),
    ]
    return {str(p.relative_to(ROOT)): parse_supergraph(p.read_text()) for p in paths}


def _documented() -> Iterator[tuple[str, str]]:
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for block in re.findall(r"```graphql\n(.*?)```", path.read_text(), re.DOTALL):
            yield str(path.relative_to(ROOT)), block
    body = json.loads((ROOT / "bench" / "fedbench" / "body.json").read_text())
    yield "bench/fedbench/body.json", body["query"]


def _in_code() -> Iterator[tuple[str, str]]:
    for path in sorted([*ROOT.glob("tests/**/*.py"), *ROOT.glob("bench/**/*.py")]):
        if HERE in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            text = node.value if isinstance(node, ast.Constant) else None
            if isinstance(text, str) and _OPERATION.match(text):
                yield str(path.relative_to(ROOT)), text


def _executable(text: str) -> DocumentNode | None:
    try:
        document = parse(text)
    except GraphQLError:
        return None
    if not all(isinstance(d, ExecutableDefinitionNode) for d in document.definitions):
        return None  # type definitions (SDL), not an operation
    return document


def _examples() -> list[tuple[str, str, str, DocumentNode]]:
    """(where it is, its supergraph, its text, its document) for every example found."""
    found = []
    for where, text in [*_documented(), *_in_code()]:
        document = _executable(text)
        if document is None:
            continue
        for name, supergraph in supergraphs().items():
            if not validate(supergraph.api_schema, document):
                found.append((where, name, text, document))
                break
    return found


EXAMPLES = _examples()


def test_the_examples_were_found() -> None:
    places = {where for where, *_ in EXAMPLES}
    assert {"README.md", "docs/subscriptions.md", "bench/fedbench/body.json"} <= places
    assert len(EXAMPLES) > 150


def test_every_documented_example_is_an_operation_of_our_graph() -> None:
    # A graphql block in the README or docs that does not validate is a stale example.
    for where, text in _documented():
        document = _executable(text)
        if document is not None and where != "bench/fedbench/body.json":
            assert validate(supergraphs()["schema/supergraph.graphql"].api_schema, document) == []


@pytest.mark.parametrize(
    ("where", "supergraph", "text", "document"),
    EXAMPLES,
    ids=[f"{where}:{' '.join(text.split())[:40]}" for where, _, text, _ in EXAMPLES],
)
def test_the_defaults_admit_every_example(
    where: str, supergraph: str, text: str, document: DocumentNode
) -> None:
    control = DemandControl(DEFAULTS)
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            name = definition.name.value if definition.name else None
            operation = select_operation(document, name)
            # Variables are unknown here: slicing arguments they would give fall back to
            # assumed sizes, as they do when a client leaves them out.
            check = control.check(supergraphs()[supergraph], operation, {})
            assert check.errors is None, (where, text)


def test_the_defaults_refuse_the_attack() -> None:
    assert len(ATTACK.encode()) == 166
    graph = supergraphs()["schema/supergraph.graphql"]
    document = parse(ATTACK)
    assert validate(graph.api_schema, document) == []
    estimated = DemandControl(DEFAULTS).estimate(graph, select_operation(document, None), {})
    assert estimated > 100 * DEFAULTS.max


async def test_the_attack_is_refused_before_anything_is_fetched() -> None:
    # No subgraph runs here: were anything fetched, the answer would be a connection error.
    gateway = Gateway(supergraphs()["schema/supergraph.graphql"])
    outcome = await gateway.execute({"query": ATTACK})
    errors = outcome.response.get("errors") or []
    assert [e.get("extensions", {}).get("code") for e in errors] == ["COST_ESTIMATED_TOO_EXPENSIVE"]
    assert gateway.stats.plans_built == 0
    await gateway.aclose()
