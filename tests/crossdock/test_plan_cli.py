"""``crossdock plan`` as a user runs it: a query, a file or stdin in; the plan out, as text or
JSON; every failure one line on stderr and status 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from crossdock.graph import EXAMPLE_QUERY
from tests.gateway.test_planner_depth import circular_keys

COMMAND = [sys.executable, "-m", "crossdock.cli", "plan"]


def plan(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=60, check=False, input=stdin
    )


def test_the_readme_query_is_a_fetch_from_erp_then_two_entity_fetches_at_once() -> None:
    result = plan(EXAMPLE_QUERY)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith('QueryPlan {\n  Sequence {\n    Fetch(service: "erp") {')
    assert "    Parallel {" in text
    for head, service, selected in (
        ('Flatten(path: "orderByNumber.account") {\n', "crm", "cases(open: true)"),
        # One wms fetch for the lines' products and the order itself, merged.
        (
            'Flatten(paths: [\n        "orderByNumber.lines.@.product" on Product,\n'
            '        "orderByNumber" on Order,\n      ]) {\n',
            "wms",
            "availableToPromise",
        ),
    ):
        start = text.index(head)
        end = text.find("Flatten(", start + 1)
        node = text[start : end if end > 0 else len(text)]
        assert f'Fetch(service: "{service}")' in node and selected in node, node
        assert service != "wms" or "trackingEvents" in node, node
    assert text.count('Fetch(service: "wms")') == 1
    # What an entity fetch needs of each object, then what it selects.
    assert "... on Account {\n" in text and "} =>" in text


def test_json_is_apollos_shape() -> None:
    result = plan("--json", EXAMPLE_QUERY)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["kind"] == "QueryPlan"
    sequence = body["node"]
    assert sequence["kind"] == "Sequence"
    first, parallel = sequence["nodes"]
    assert first["kind"] == "Fetch" and first["serviceName"] == "erp"
    assert first["operation"].startswith("{orderByNumber(")
    assert "requires" not in first
    assert parallel["kind"] == "Parallel"
    flattens = {tuple(n["path"]): n["node"] for n in parallel["nodes"]}
    account = flattens[("orderByNumber", "account")]
    assert account["serviceName"] == "crm"
    assert account["requires"] == [
        {
            "kind": "InlineFragment",
            "typeCondition": "Account",
            "selections": [
                {"kind": "Field", "name": "__typename"},
                {"kind": "Field", "name": "id"},
            ],
        }
    ]
    assert "_entities" in account["operation"]
    assert "paths" not in parallel["nodes"][0]
    assert set(flattens) == {
        ("orderByNumber", "account"),
        ("orderByNumber", "lines", "@", "product"),
    }
    # A merged fetch: Apollo's ``path`` (its first place), and every place in ``paths``.
    merged = next(n for n in parallel["nodes"] if "paths" in n)
    assert merged["paths"] == [
        {"path": ["orderByNumber", "lines", "@", "product"], "types": ["Product"]},
        {"path": ["orderByNumber"], "types": ["Order"]},
    ]
    assert merged["node"]["serviceName"] == "wms"


def test_a_file_stdin_an_operation_name_and_variables(tmp_path: Path) -> None:
    document = (
        "query Small { __typename }\n"
        "query Order($n: String!, $withAccount: Boolean!) {\n"
        "  orderByNumber(number: $n) { number account @include(if: $withAccount) { name } }\n"
        "}\n"
    )
    file = tmp_path / "order.graphql"
    file.write_text(document)
    without = plan(
        str(file), "--operation", "Order", "--variables", '{"n": "SO-1", "withAccount": false}'
    )
    assert without.returncode == 0, without.stderr
    assert 'Fetch(service: "erp")' in without.stdout and "crm" not in without.stdout
    with_account = plan(
        "-", "--operation", "Order", "--variables", '{"n": "SO-1", "withAccount": true}',
        stdin=document,
    )  # fmt: skip
    assert with_account.returncode == 0, with_account.stderr
    assert 'Flatten(path: "orderByNumber.account")' in with_account.stdout
    assert 'Fetch(service: "crm")' in with_account.stdout


def test_deferred_parts_are_shown_after_the_primary_part() -> None:
    result = plan(
        '{ orderByNumber(number: "SO-1") { number'
        ' ... @defer(label: "tracking") { shipments { trackingEvents { status } } } } }'
    )
    assert result.returncode == 0, result.stderr
    text = result.stdout
    primary = text.index("Primary {")
    deferred = text.index('Deferred(id: 0, label: "tracking", path: "orderByNumber"')
    assert primary < text.index('Fetch(service: "erp")') < deferred
    assert deferred < text.index('Fetch(service: "wms")')
    body = json.loads(
        plan(
            "--json",
            '{ orderByNumber(number: "SO-1") { number ... @defer { shipments { carrier } } } }',
        ).stdout
    )
    node = body["node"]
    assert node["kind"] == "Defer"
    assert node["primary"]["node"]["serviceName"] == "erp"
    [part] = node["deferred"]
    assert part["path"] == ["orderByNumber"] and part["node"]["kind"] == "Flatten"


def test_every_failure_is_one_line_and_status_2(tmp_path: Path) -> None:
    unplannable = tmp_path / "circular.graphql"
    unplannable.write_text(circular_keys())
    not_a_supergraph = tmp_path / "nope.graphql"
    not_a_supergraph.write_text("type Query { a: Int }\n")
    cases = [
        (("{ nope }",), "invalid operation: Cannot query field 'nope' on type 'Query'."),
        (("{ orderByNumber(",), "invalid operation: Syntax Error"),
        ((str(tmp_path / "missing.graphql"),), "cannot read operation file"),
        (("--supergraph", str(tmp_path / "none.graphql"), "{ a }"), "cannot read supergraph"),
        (("--supergraph", str(not_a_supergraph), "{ a }"), "cannot be used"),
        (("--supergraph", str(unplannable), "{ t { a x } }"), "query planning failed at T.b"),
        (("--operation", "Missing", "query A { __typename }"), "invalid operation:"),
        (("--variables", "[1]", "{ __typename }"), "--variables must be a JSON object"),
        (("--variables", "{", "{ __typename }"), "--variables is not JSON"),
    ]
    for args, message in cases:
        result = plan(*args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert result.stdout == ""
        [line] = result.stderr.splitlines()
        assert line.startswith("crossdock plan: "), line
        assert message in line, (args, line)
        assert "Traceback" not in result.stderr
