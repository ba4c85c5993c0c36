"""The JSON Schema of the config file, for editors and checks (``crossdock config schema``).

It is pydantic's schema of :class:`~crossdock.settings.Settings` with two differences that the
file needs: keys are the fields' names (the environment's aliases, such as ``REDIS_URL``, are
not keys of the file), and every table refuses keys it does not define, as reading the file
does (a typo must not pass an editor's check and then fail at start).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

__all__ = ["DIALECT", "config_file_schema"]

DIALECT = "https://json-schema.org/draft/2020-12/schema"


class _FileSchema(GenerateJsonSchema):
    def model_schema(self, schema: core_schema.ModelSchema) -> JsonSchemaValue:
        json_schema = super().model_schema(schema)
        config = schema.get("config") or {}
        if config.get("extra_fields_behavior") != "allow" and "properties" in json_schema:
            json_schema["additionalProperties"] = False
        return json_schema


def config_file_schema(model: type[BaseModel], *, title: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a config file holding ``model``'s settings."""
    schema = model.model_json_schema(by_alias=False, schema_generator=_FileSchema)
    return {"$schema": DIALECT, **schema, "title": title}
