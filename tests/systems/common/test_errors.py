"""Error answers: raised ApiErrors, unknown routes and methods, crashes; all JSON."""

from __future__ import annotations

import logging

import httpx
import pytest

from systems.common import ApiError, NotFound, Unprocessable


def test_error_classes() -> None:
    assert (NotFound("x").status_code, NotFound("x").code) == (404, "NOT_FOUND")
    error = Unprocessable("bad")
    assert (error.status_code, error.code, error.message) == (422, "INVALID_PARAMETER", "bad")
    assert isinstance(error, ApiError)
    assert str(error) == "bad"


def test_not_found_raised_by_an_endpoint(shared_client: httpx.Client) -> None:
    response = shared_client.get("/accounts/zz")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "NOT_FOUND", "message": "no account zz"}}


def test_found(shared_client: httpx.Client) -> None:
    response = shared_client.get("/accounts/a1")
    assert response.status_code == 200
    assert response.json() == {"id": "a1", "name": "Acme", "limit": "9.90"}


@pytest.mark.parametrize("path", ["/nope", "/accounts/a1/contacts", "/accounts/"])
def test_unknown_route(shared_client: httpx.Client, path: str) -> None:
    response = shared_client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"]["code"] == "NOT_FOUND"
    assert path in response.json()["error"]["message"]


def test_method_not_allowed(shared_client: httpx.Client) -> None:
    response = shared_client.delete("/accounts")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert "GET" in response.headers["allow"]


def test_crash_is_a_json_500_without_traceback(
    shared_client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="systems.common"):
        response = shared_client.get("/crash")
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "INTERNAL", "message": "internal error"}}
    assert "secret-detail" not in response.text
    assert "Traceback" not in response.text
    logged = [r for r in caplog.records if r.name.startswith("systems.common")]
    assert len(logged) == 1
    assert logged[0].exc_info is not None
    assert "secret-detail" in str(logged[0].exc_info[1])
    # The server keeps answering.
    assert shared_client.get("/health").status_code == 200
