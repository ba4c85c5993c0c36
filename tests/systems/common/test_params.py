"""Query-parameter parsing, through a served app: good values and every kind of bad one."""

from __future__ import annotations

import httpx
import pytest

from systems.common import MAX_BATCH


def assert_invalid(response: httpx.Response, *words: str) -> None:
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == "INVALID_PARAMETER"
    for word in words:
        assert word in body["error"]["message"]


def test_defaults_when_absent(shared_client: httpx.Client) -> None:
    body = shared_client.get("/accounts").json()
    assert body == {
        "offset": 0,
        "limit": 10,
        "ids": None,
        "status": None,
        "vip": None,
        "since": None,
    }


def test_good_values(shared_client: httpx.Client) -> None:
    params = {
        "offset": "20",
        "limit": "50",
        "ids": "a2, a1,a2,a3",
        "status": "closed",
        "vip": "TRUE",
        "since": "2024-02-29",
    }
    body = shared_client.get("/accounts", params=params).json()
    assert body == {
        "offset": 20,
        "limit": 50,
        "ids": ["a2", "a1", "a3"],
        "status": "closed",
        "vip": True,
        "since": "2024-02-29",
    }


@pytest.mark.parametrize(("raw", "expected"), [("false", False), ("0", False), ("1", True)])
def test_bool_spellings(shared_client: httpx.Client, raw: str, expected: bool) -> None:
    assert shared_client.get("/accounts", params={"vip": raw}).json()["vip"] is expected


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"offset": "ten"}, ("'offset'", "integer")),
        ({"offset": ""}, ("'offset'", "integer")),
        ({"offset": "-1"}, ("'offset'", "at least 0")),
        ({"limit": "0"}, ("'limit'", "at least 1")),
        ({"limit": "51"}, ("'limit'", "at most 50")),
        ({"limit": "2.5"}, ("'limit'", "integer")),
        ({"ids": ""}, ("'ids'", "at least one")),
        ({"ids": "a1,,a2"}, ("'ids'", "empty id")),
        ({"ids": "a1,"}, ("'ids'", "empty id")),
        ({"ids": " , "}, ("'ids'",)),
        ({"status": "open"}, ("'status'", "active, closed")),
        ({"vip": "maybe"}, ("'vip'", "true or false")),
        ({"since": "2024-13-01"}, ("'since'", "YYYY-MM-DD")),
        ({"since": "20240101"}, ("'since'", "YYYY-MM-DD")),
        ({"since": "yesterday"}, ("'since'",)),
    ],
)
def test_bad_values(
    shared_client: httpx.Client, params: dict[str, str], words: tuple[str, ...]
) -> None:
    assert_invalid(shared_client.get("/accounts", params=params), *words)


def test_batch_of_max_size_is_accepted(shared_client: httpx.Client) -> None:
    ids = [f"a{n}" for n in range(MAX_BATCH)]
    body = shared_client.get("/accounts", params={"ids": ",".join(ids)}).json()
    assert body["ids"] == ids


def test_oversize_batch(shared_client: httpx.Client) -> None:
    ids = ",".join(f"a{n}" for n in range(MAX_BATCH + 1))
    assert_invalid(shared_client.get("/accounts", params={"ids": ids}), "'ids'", str(MAX_BATCH))


def test_duplicates_do_not_count_against_the_batch(shared_client: httpx.Client) -> None:
    ids = ",".join(["a1"] * (MAX_BATCH + 5))
    assert shared_client.get("/accounts", params={"ids": ids}).json()["ids"] == ["a1"]


def test_body(shared_client: httpx.Client) -> None:
    response = shared_client.post("/contacts", json={"account_id": "a1", "email": "x@y.z"})
    assert response.status_code == 201
    assert response.json() == {"account_id": "a1", "email": "x@y.z", "quantity": 1}


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", ("JSON document",)),
        (b"{not json", ("JSON document",)),
        (b"[]", ("body",)),
        (b'{"account_id": "a1"}', ("email", "required")),
        (b'{"account_id": "a1", "email": "x@y.z", "quantity": 0}', ("quantity",)),
    ],
)
def test_bad_body(shared_client: httpx.Client, content: bytes, words: tuple[str, ...]) -> None:
    assert_invalid(shared_client.post("/contacts", content=content), *words)


def test_validation_error_escaping_an_endpoint(shared_client: httpx.Client) -> None:
    assert_invalid(shared_client.get("/strict-contact"), "account_id", "email")
