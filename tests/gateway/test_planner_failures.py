"""A valid operation the planner cannot serve: ``QUERY_PLANNING_FAILED``, naming the field.

Never ``INTERNAL`` or a server error: the client sent nothing wrong, the supergraph has no
way to the field. In production the code stays and the planner's words go.
"""

from __future__ import annotations

import httpx

from gateway import Gateway
from gateway.redaction import PLANNING_FAILED_MESSAGE
from gateway.server import GatewaySettings, create_app
from gateway.supergraph import parse_supergraph
from tests.gateway.test_planner_depth import circular_keys
from tests.support.servers import serve


async def test_an_unplannable_query_names_the_field_and_why_with_data_null() -> None:
    gateway = Gateway(parse_supergraph(circular_keys()))
    outcome = await gateway.execute({"query": "{ t { a x } }"})
    assert outcome.status == "ok"  # a valid request: the graph, not the client, failed
    assert outcome.response["data"] is None
    [error] = outcome.response["errors"]
    assert error["extensions"] == {"code": "QUERY_PLANNING_FAILED"}
    assert error["message"].startswith("Query planning failed at T.b: no path to T.b from r")


async def test_in_production_the_code_stays_and_the_internals_go() -> None:
    gateway = Gateway(parse_supergraph(circular_keys()), redact_errors=True)
    outcome = await gateway.execute({"query": "query Q { t { x } }"})
    assert outcome.response == {
        "data": None,
        "errors": [
            {"message": PLANNING_FAILED_MESSAGE, "extensions": {"code": "QUERY_PLANNING_FAILED"}}
        ],
    }


async def test_a_plannable_field_beside_it_does_not_save_the_operation() -> None:
    # No partial plan: the operation is refused whole, before any subgraph is called.
    gateway = Gateway(parse_supergraph(circular_keys()))
    outcome = await gateway.execute({"query": "{ a: t { a } b: t { x } }"})
    assert outcome.response["data"] is None
    assert [e["extensions"]["code"] for e in outcome.response["errors"]] == [
        "QUERY_PLANNING_FAILED"
    ]


def test_over_http_the_client_gets_the_code_not_a_server_error() -> None:
    engine = Gateway(parse_supergraph(circular_keys()))
    with serve(create_app(engine, GatewaySettings(reload_interval=0))) as url:
        response = httpx.post(
            url + "/graphql",
            json={"query": "{ t { x } }"},
            headers={"Accept": "application/graphql-response+json"},
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["QUERY_PLANNING_FAILED"]
    assert "T.b" in body["errors"][0]["message"]
