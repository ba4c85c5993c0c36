"""Problems made from what pydantic raises, by the path of the value: a validator of a table
another component adds, a union, a list item, a map entry are each one line naming the key."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from pydantic import BaseModel, Field, ValidationError, model_validator

from crossdock.config_errors import Problem, environment_problems, validation_problems
from crossdock.config_keys import KeyPath, dotted


class Cors(BaseModel):
    allow_origins: list[str] = []
    allow_credentials: bool = False

    @model_validator(mode="after")
    def _no_credentials_for_everyone(self) -> Cors:
        if self.allow_credentials and "*" in self.allow_origins:
            raise ValueError("credentials cannot be allowed to every origin ('*')")
        return self


class Limit(BaseModel):
    per_second: float = 10.0


class Front(BaseModel):
    cors: Cors = Cors()
    signing_secret: str = Field(default="", min_length=16)
    per_operation: dict[str, Limit] = {}
    timeouts: list[float] = []
    size: int | list[int] = 0


class Root(BaseModel):
    front: Front = Front()


def origin(key: KeyPath) -> str:
    return f"from {dotted(key)}"


def problems(data: Mapping[str, object]) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        Root.model_validate(data)
    return [str(p) for p in validation_problems(Root, raised.value, origin)]


def test_a_tables_own_validator_is_a_problem_of_that_table() -> None:
    data = {"front": {"cors": {"allow_origins": ["*"], "allow_credentials": True}}}
    assert problems(data) == [
        "front.cors (from front.cors): credentials cannot be allowed to every origin ('*')"
    ]


def test_items_and_entries_are_named_by_index_and_key() -> None:
    data = {"front": {"timeouts": [1, "soon"], "per_operation": {"Submit": {"per_second": "x"}}}}
    assert problems(data) == [
        "front.per_operation.Submit.per_second (from front.per_operation.Submit.per_second): "
        "Input should be a valid number, unable to parse string as a number",
        "front.timeouts[1] (from front.timeouts[1]): Input should be a valid number, unable to "
        "parse string as a number",
    ]


def test_the_members_of_a_union_tried_are_one_problem() -> None:
    assert problems({"front": {"size": "big"}}) == [
        "front.size (from front.size): Input should be a valid integer, unable to parse string "
        "as an integer; or Input should be a valid list"
    ]


def test_numbers_are_shown_but_not_secrets() -> None:
    found = problems({"front": {"size": 1.5, "signing_secret": "1234", "timeouts": ["-x"]}})
    assert found == [
        "front.signing_secret (from front.signing_secret): String should have at least 16 "
        "characters",
        "front.timeouts[0] (from front.timeouts[0]): Input should be a valid number, unable to "
        "parse string as a number",
        "front.size (from front.size): Input should be a valid integer, got a number with a "
        "fractional part; or Input should be a valid list (value: 1.5)",
    ]


def test_a_problem_is_one_line_whatever_the_message() -> None:
    assert str(Problem("k", "first\n  second", "f.toml")) == "k (f.toml): first second"
    assert str(Problem("", "cannot read it")) == "cannot read it"


def test_environment_values_that_must_be_json_and_are_not() -> None:
    environ = {
        "APP_FRONT__PER_OPERATION": "Submit=1",
        "APP_FRONT__TIMEOUTS": "[1, 2]",  # JSON: fine
        "APP_FRONT__CORS": "*",
        "APP_FRONT__SIZE": "big",  # a union: pydantic-settings takes the text
        "OTHER": "[",
    }
    found = [str(p) for p in environment_problems(Root, environ, prefix="APP_", delimiter="__")]
    assert found == [
        "front.cors (APP_FRONT__CORS): not JSON (Expecting value at column 1); the environment "
        """takes a table as JSON, e.g. APP_FRONT__CORS='{"allow_origins": []}'""",
        "front.per_operation (APP_FRONT__PER_OPERATION): not JSON (Expecting value at column "
        """1); the environment takes a table as JSON, e.g. APP_FRONT__PER_OPERATION='{"key": """
        """"value"}'""",
    ]
