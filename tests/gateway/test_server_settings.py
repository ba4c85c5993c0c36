"""Front-door limits come from ``CROSSDOCK_GATEWAY__*`` and are what a client runs into."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from crossdock.settings import Settings
from gateway.server import create_gateway_app
from tests.gateway.conformance.cases import entities, override_labels
from tests.gateway.conftest import Running, supergraph_with_urls
from tests.support.servers import serve

DEPTH_4 = "{ users { badges { holder { id } } } }"


@pytest.fixture
def supergraph_file(run_subgraphs: Callable[..., Running], tmp_path: Path) -> Path:
    _, urls = run_subgraphs("entities", entities.build)
    path = tmp_path / "supergraph.graphql"
    path.write_text(supergraph_with_urls(entities.CASE.supergraph_path.read_text(), urls))
    return path


def ask(supergraph_file: Path, body: dict[str, str]) -> httpx.Response:
    """Serve the gateway with the settings the environment gives now, and send ``body``."""
    app = create_gateway_app(supergraph_file, Settings().gateway)
    with serve(app) as url:
        return httpx.post(f"{url}/graphql", json=body)


def test_default_depth_limit_lets_the_query_through(supergraph_file: Path) -> None:
    response = ask(supergraph_file, {"query": DEPTH_4})
    assert response.status_code == 200
    assert "errors" not in response.json()


def test_max_depth_from_the_environment(
    supergraph_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSDOCK_GATEWAY__MAX_DEPTH", "3")
    response = ask(supergraph_file, {"query": DEPTH_4})
    assert response.status_code == 200
    [error] = response.json()["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert error["message"] == "Operation is 4 levels deep; the limit is 3."


def test_max_aliases_from_the_environment(
    supergraph_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSDOCK_GATEWAY__MAX_ALIASES", "1")
    response = ask(supergraph_file, {"query": "{ a: users { id } b: users { id } }"})
    [error] = response.json()["errors"]
    assert error["message"] == "Operation has 2 aliases; the limit is 1."


def test_max_body_bytes_from_the_environment(
    supergraph_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSDOCK_GATEWAY__MAX_BODY_BYTES", "64")
    response = ask(supergraph_file, {"query": "{ users { id name } }" + " " * 64})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_max_tokens_from_the_environment(
    supergraph_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSDOCK_GATEWAY__MAX_TOKENS", "5")
    response = ask(supergraph_file, {"query": "{ users { id name } }"})
    [error] = response.json()["errors"]
    assert error == {
        "message": "Operation has more than 5 tokens.",
        "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
    }


@pytest.mark.parametrize(
    ("labels", "services"),
    [(None, ["old"]), ('["beta-tax"]', ["old", "new"])],
    ids=["unset", "beta-tax"],
)
def test_override_labels_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, labels: str | None, services: list[str]
) -> None:
    if labels is not None:
        monkeypatch.setenv("CROSSDOCK_GATEWAY__OVERRIDE_LABELS", labels)
    path = tmp_path / "supergraph.graphql"
    path.write_text(override_labels.CASE.supergraph_path.read_text())
    app = create_gateway_app(path, Settings().gateway)
    plan = app.state.gateway.plan("{ products { name tax } }")
    assert [fetch.service for fetch in plan.fetches()] == services

    # A reloaded supergraph is read with the same labels.
    path.write_text(path.read_text() + "\n")
    assert app.state.watcher.check() is True
    plan = app.state.gateway.plan("{ products { name tax } }")
    assert [fetch.service for fetch in plan.fetches()] == services


def test_the_request_deadline_from_the_environment(
    supergraph_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSDOCK_GATEWAY__REQUESTS__TIMEOUT", "2.5")
    app = create_gateway_app(supergraph_file, Settings().gateway)
    assert app.state.gateway.request_timeout == 2.5


def test_the_response_size_limit_from_the_environment(
    supergraph_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSDOCK_GATEWAY__REQUESTS__MAX_RESPONSE_BYTES", "40")
    answer = ask(supergraph_file, {"query": "{ users { id } }"})
    assert answer.json()["errors"][0]["extensions"] == {
        "code": "RESPONSE_TOO_LARGE",
        "maxBytes": 40,
    }


@pytest.mark.parametrize(
    "variable",
    [
        "CROSSDOCK_GATEWAY__REQUESTS__TIMEOUT",
        "CROSSDOCK_GATEWAY__PERSISTED_QUERIES__APQ_TTL",
        "CROSSDOCK_GATEWAY__DEMAND__MAX",
        "CROSSDOCK_GATEWAY__SUBGRAPH_READ_TIMEOUT",
    ],
)
@pytest.mark.parametrize("value", ["inf", "-inf", "nan"])
def test_durations_and_sizes_must_be_finite(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    # ``inf`` passed every check, then broke requests (a deadline header) or the start.
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError, match="finite number"):
        Settings()


def test_a_rate_limits_interval_must_be_finite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "CROSSDOCK_GATEWAY__RATE_LIMITS__DEFAULT", '{"capacity": 5, "interval": "Infinity"}'
    )
    with pytest.raises(ValidationError, match="finite number"):
        Settings()


def test_a_deadline_beyond_any_clock_still_answers(
    supergraph_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 1e308 seconds is finite, but not in milliseconds: the header it sends is clamped.
    monkeypatch.setenv("CROSSDOCK_GATEWAY__REQUESTS__TIMEOUT", "1e308")
    answer = ask(supergraph_file, {"query": "{ users { id } }"})
    assert answer.status_code == 200
    assert "errors" not in answer.json(), answer.json()
