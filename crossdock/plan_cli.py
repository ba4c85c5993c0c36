"""``crossdock plan``: the query plan the gateway would run for an operation, without running it.

The operation is a query text, a file holding one, or ``-`` (standard input); it is parsed,
validated and planned as the gateway does (its default limits), against a supergraph file
(``schema/supergraph.graphql`` by default). The plan is printed in Apollo Router's text shape,
or with ``--json`` in Apollo's JSON shape (docs/query-plans.md). Whatever stops it (a file
that cannot be read, a supergraph that does not load, an invalid operation, one that cannot
be planned) is one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from schema import SUPERGRAPH_PATH

__all__ = ["PlanFailed", "add_plan_parser", "plan_output"]

_OPERATION_STARTS = ("{", "query", "mutation", "subscription", "fragment", "#")


class PlanFailed(Exception):
    """Why no plan was printed: one line for the user."""


def _read(path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise PlanFailed(f"cannot read {what} {path}: {reason}") from None


def _is_file(name: str) -> bool:
    try:
        return Path(name).is_file()
    except (OSError, ValueError):  # a name too long to be a file's, or with a NUL in it
        return False


def operation_text(given: str) -> str:
    """The operation ``given`` stands for: standard input (``-``), a file, or the text."""
    if given == "-":
        return sys.stdin.read()
    if given.lstrip().startswith(_OPERATION_STARTS) and not _is_file(given):
        return given
    return _read(Path(given), "operation file")


def _variables(text: str | None) -> dict[str, Any]:
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise PlanFailed(f"--variables is not JSON: {error.msg}") from None
    if not isinstance(value, dict):
        raise PlanFailed("--variables must be a JSON object")
    return value


def plan_output(
    query: str,
    *,
    supergraph_path: Path = SUPERGRAPH_PATH,
    operation_name: str | None = None,
    variables: dict[str, Any] | None = None,
    as_json: bool = False,
) -> str:
    """The printed plan of ``query``; raises :class:`PlanFailed` with the reason."""
    from gateway.engine import Gateway
    from gateway.planner import PlanningError, plan_json, plan_text
    from gateway.supergraph import SupergraphError, parse_supergraph

    try:
        supergraph = parse_supergraph(_read(supergraph_path, "supergraph"))
    except SupergraphError as error:
        raise PlanFailed(f"supergraph {supergraph_path} cannot be used: {error}") from None
    if not query.strip():
        raise PlanFailed("no operation given")
    gateway = Gateway(supergraph)
    try:
        plan = gateway.plan(query, operation_name, variables or {})
    except PlanningError as error:
        where = f" at {error.coordinate}" if error.coordinate else ""
        raise PlanFailed(f"query planning failed{where}: {error.reason}") from None
    except ValueError as error:  # invalid, or no such operation
        raise PlanFailed(f"invalid operation: {error}") from None
    if as_json:
        return json.dumps(plan_json(plan), indent=2)
    return plan_text(plan)


def _cmd_plan(args: argparse.Namespace) -> int:
    try:
        out = plan_output(
            operation_text(args.operation),
            supergraph_path=args.supergraph,
            operation_name=args.operation_name,
            variables=_variables(args.variables),
            as_json=args.json,
        )
    except PlanFailed as failure:
        print(f"crossdock plan: {failure}", file=sys.stderr)
        return 2
    print(out)
    return 0


def add_plan_parser(sub: Any) -> argparse.ArgumentParser:
    """Add ``plan`` to the ``crossdock`` subparsers ``sub``."""
    parser: argparse.ArgumentParser = sub.add_parser(
        "plan",
        help="print the query plan of an operation (fetches, subgraphs, dependencies)",
        description="Plan an operation as the gateway would, without running it, and print "
        "the plan: each fetch, its subgraph and the operation it sends, in Sequence/Parallel/"
        "Flatten nodes (docs/query-plans.md).",
    )
    parser.add_argument(
        "operation",
        metavar="QUERY|FILE|-",
        help="the operation's text, a file holding it, or - for standard input",
    )
    parser.add_argument(
        "--supergraph",
        type=Path,
        default=SUPERGRAPH_PATH,
        metavar="FILE",
        help="the supergraph SDL file (default: schema/supergraph.graphql)",
    )
    parser.add_argument(
        "--operation",
        dest="operation_name",
        metavar="NAME",
        help="which operation of the document to plan (when it has several)",
    )
    parser.add_argument(
        "--variables",
        metavar="JSON",
        help="variable values, as a JSON object: @skip/@include/@defer(if:) read them",
    )
    parser.add_argument(
        "--json", action="store_true", help="print the plan as JSON (Apollo's shape)"
    )
    parser.set_defaults(func=_cmd_plan)
    return parser
