"""``gateway.redaction``: which parts of an error a client keeps in production."""

from __future__ import annotations

from gateway.redaction import PLANNING_FAILED_MESSAGE, REDACTED_MESSAGE, redact_response
from gateway.wire import GraphQLResponse


def test_a_subgraph_error_keeps_its_code_and_place_only() -> None:
    response: GraphQLResponse = {
        "data": {"order": None},
        "errors": [
            {
                "message": "erp is unavailable: erp timed out after 5.0s",
                "path": ["order"],
                "locations": [{"line": 1, "column": 3}],
                "extensions": {"code": "SUBGRAPH_ERROR", "serviceName": "erp", "system": "erp"},
            }
        ],
    }
    assert redact_response(response) == {
        "data": {"order": None},
        "errors": [
            {
                "message": REDACTED_MESSAGE,
                "path": ["order"],
                "locations": [{"line": 1, "column": 3}],
                "extensions": {"code": "SUBGRAPH_ERROR"},
            }
        ],
    }


def test_bad_input_a_client_must_correct_keeps_its_words() -> None:
    error = {
        "message": "first must be at most 100",
        "path": ["orders"],
        "extensions": {"code": "BAD_USER_INPUT", "serviceName": "erp", "hint": "x"},
    }
    [kept] = redact_response({"errors": [error]})["errors"]  # type: ignore[list-item]
    assert kept == {
        "message": "first must be at most 100",
        "path": ["orders"],
        "extensions": {"code": "BAD_USER_INPUT"},
    }


def test_the_gateways_own_errors_keep_their_extensions_but_not_the_planners_words() -> None:
    cost = {
        "message": "The estimated cost 9000 is over the limit 1000.",
        "extensions": {"code": "COST_ESTIMATED_TOO_EXPENSIVE", "cost": {"estimated": 9000}},
    }
    planning = {
        "message": "Query planning failed at Order.account: no path to Order.account from crm",
        "extensions": {"code": "QUERY_PLANNING_FAILED"},
    }
    redacted = redact_response({"errors": [cost, planning]})  # type: ignore[list-item]
    assert redacted["errors"] == [
        cost,
        {"message": PLANNING_FAILED_MESSAGE, "extensions": {"code": "QUERY_PLANNING_FAILED"}},
    ]


def test_a_response_without_errors_is_left_as_it_is() -> None:
    response: GraphQLResponse = {"data": {"a": 1}}
    assert redact_response(response) is response


def test_no_message_kept_suggests_what_the_schema_holds() -> None:
    variable = {
        "message": "Variable '$s' got invalid value 'SHIPED'; Value 'SHIPED' does not exist in "
        "'OrderStatus' enum. Did you mean the enum value 'SHIPPED'?",
        "extensions": {"code": "BAD_USER_INPUT"},
    }
    subgraph = {
        "message": "Unknown argument 'frist'. Did you mean 'first'?",
        "extensions": {"code": "BAD_USER_INPUT", "serviceName": "erp"},
    }
    redacted = redact_response({"errors": [variable, subgraph]})  # type: ignore[list-item]
    assert [e["message"] for e in redacted["errors"]] == [
        "Variable '$s' got invalid value 'SHIPED'; Value 'SHIPED' does not exist in "
        "'OrderStatus' enum.",
        "Unknown argument 'frist'.",
    ]
