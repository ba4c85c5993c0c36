"""The settings as a tree of keys, walked generically: the settings a component adds
tomorrow (tables in tables, lists of tables, maps of tables) are named and checked like
today's."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from crossdock.config_keys import (
    UnknownKey,
    dotted,
    environment_key,
    is_json_in_environment,
    unknown_keys,
)
from crossdock.settings import Settings


class Limit(BaseModel):
    per_second: float = 10.0
    burst: int = 20


class Cors(BaseModel):
    allow_origins: list[str] = []
    credentials: bool = False


class Plugin(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str = ""


class Front(BaseModel):
    cors: Cors = Cors()
    per_operation: dict[str, Limit] = {}
    tiers: list[Limit] = []
    optional: Limit | None = None
    plugin: Plugin = Plugin()
    renamed: int = Field(default=0, validation_alias="legacy_name")


class Root(BaseModel):
    front: Front = Front()


def test_keys_read_as_messages_write_them() -> None:
    assert dotted(("gateway", "max_depth")) == "gateway.max_depth"
    assert dotted(("orders", "center_priority", 2)) == "orders.center_priority[2]"


def test_every_unknown_key_is_found_at_any_depth_with_a_suggestion() -> None:
    data = {
        "front": {
            "cors": {"allow_origin": ["https://a.example"]},
            "per_operation": {"SubmitOrder": {"per_second": 1, "brust": 2}},
            "tiers": [{"burst": 1}, {"per_secnod": 1}],
            "optional": {"bust": 1},
            "plugin": {"anything": "goes"},
            "legacy_name": 3,
        },
        "back": {},
    }
    assert list(unknown_keys(Root, data)) == [
        UnknownKey(("front", "cors", "allow_origin"), "front.cors.allow_origins"),
        UnknownKey(
            ("front", "per_operation", "SubmitOrder", "brust"),
            "front.per_operation.SubmitOrder.burst",
        ),
        UnknownKey(("front", "tiers", 1, "per_secnod"), "front.tiers[1].per_second"),
        UnknownKey(("front", "optional", "bust"), "front.optional.burst"),
        UnknownKey(("back",), None),
    ]


def test_unknown_keys_of_the_real_settings_and_none_in_good_data() -> None:
    assert list(unknown_keys(Settings, {"gateway": {"max_depth": 3}, "seed": 1})) == []
    assert [u.suggestion for u in unknown_keys(Settings, {"gatway": {}})] == ["gateway"]


def test_environment_variables_name_settings_as_pydantic_settings_reads_them() -> None:
    def key(variable: str) -> tuple[str | int, ...] | None:
        return environment_key(Settings, "CROSSDOCK_", "__", variable)

    assert key("CROSSDOCK_GATEWAY__MAX_DEPTH") == ("gateway", "max_depth")
    assert key("crossdock_gateway__max_depth") == ("gateway", "max_depth")
    assert key("CROSSDOCK_PORTS") == ("ports",)
    assert key("REDIS_URL") == ("redis_url",)
    assert key("CROSSDOCK_REDIS_URL") == ("redis_url",)
    # Variables that set nothing are nothing (the environment is everyone's).
    assert key("CROSSDOCK_CONFIG") is None
    assert key("CROSSDOCK_GATEWAY__NOT_A_SETTING") is None
    assert key("PATH") is None


def test_what_the_environment_takes_as_json() -> None:
    fields = Front.model_fields
    assert is_json_in_environment(fields["cors"].annotation)
    assert is_json_in_environment(fields["per_operation"].annotation)
    assert is_json_in_environment(Cors.model_fields["allow_origins"].annotation)
    # An optional list or table falls back to the text: pydantic-settings does not insist.
    assert not is_json_in_environment(fields["optional"].annotation)
    assert not is_json_in_environment(fields["renamed"].annotation)
