"""What is wrong with a configuration, one :class:`Problem` per bad value, file or variable.

``ConfigurationError`` carries the problems; the command line prints each on one line and
exits with status 2, never with a traceback. The problems are made here from what pydantic
and pydantic-settings raise, generically by the path of the value, so a setting another
component adds tomorrow is reported by its key without a line of code here.

::

    ConfigurationError
     ├─ a config file that is missing, unreadable or not TOML (with its line and column)
     ├─ a key of the file that names no setting
     ├─ a value that does not validate (pydantic's ValidationError, by path)
     ├─ an environment value that should be JSON and is not (pydantic-settings' SettingsError)
     └─ a start-up check of a valid value (a data dir that cannot be created, …)
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from crossdock.config_keys import (
    NOT_A_KEY,
    KeyPath,
    annotation_at,
    canonical_key,
    child_annotation,
    dotted,
    environment_key,
    is_json_in_environment,
    settings_model,
)

__all__ = [
    "ConfigurationError",
    "Origin",
    "Problem",
    "environment_problems",
    "validation_problems",
]

Origin = Callable[[KeyPath], "str | None"]
"""Where the value at a key came from (``--port``, ``CROSSDOCK_PORTS__GATEWAY``,
``crossdock.toml:3``), or None for a default."""

_SECRET_WORDS = {"secret", "password", "token", "key", "keys", "credentials"}
_NUMBER = re.compile(r"[-+]?\d+(\.\d*)?([eE][-+]?\d+)?")


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong: the setting (``key``, dotted) or file it concerns, where the value
    came from, and what is wrong with it, in words a user can act on."""

    key: str
    message: str
    origin: str | None = None

    def __str__(self) -> str:
        if self.key and self.origin:
            where = f"{self.key} ({self.origin})"
        else:
            where = self.key or self.origin or ""
        # One line, whatever a library's message holds: a log reader sees the whole problem.
        message = " ".join(self.message.split())
        return f"{where}: {message}" if where else message


class ConfigurationError(Exception):
    """The configuration cannot be used; ``problems`` says why, one line each."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(str(p) for p in self.problems))


def _secret(key: KeyPath) -> bool:
    """Whether a setting's name says its value is a secret."""
    words = {w for part in key if isinstance(part, str) for w in part.lower().split("_")}
    return not words.isdisjoint(_SECRET_WORDS)


def _message(error: ErrorDetails) -> str:
    message = error["msg"]
    # pydantic prefixes what a validator raised; the key already says it is about a value.
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message


def _shown(error: ErrorDetails, key: KeyPath) -> str | None:
    """The value at fault as a message may show it: numbers are (a port of 99999 is plain to
    see), whether written as numbers (flags, the file) or as text (the environment), unless
    the setting is a secret; other text is not, since it may be a secret or a URL with a
    password in it."""
    value = error.get("input")
    if _secret(key):
        return None
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        return value.strip()
    if isinstance(value, int | float) and not isinstance(value, bool):
        return json.dumps(value)
    return None


def _with_value(messages: list[str], shown: str | None) -> str:
    text = "; or ".join(messages)
    if shown is None:
        return text
    if len(messages) == 1 and " got " not in text:
        return f"{text}, got {shown}"
    return f"{text} (value: {shown})"


def _setting_key(model: type[BaseModel], loc: tuple[int | str, ...]) -> KeyPath:
    """The longest start of ``loc`` that names a setting: what follows names pydantic's
    internals (the member of a union tried, a validator), not a key a user wrote."""
    annotation: Any = model
    path: KeyPath = ()
    for part in loc:
        key = canonical_key(annotation, part)
        annotation = child_annotation(annotation, key)
        if annotation is NOT_A_KEY:
            break
        path = (*path, key)
    return path


def validation_problems(
    model: type[BaseModel], error: ValidationError, origin: Origin
) -> list[Problem]:
    """One problem per setting ``error`` finds fault with; the messages of several members
    of a union tried for one value are joined, as they are one problem with it."""
    grouped: dict[KeyPath, tuple[list[str], str | None]] = {}
    for details in error.errors():
        key = _setting_key(model, details["loc"])
        messages = grouped.setdefault(key, ([], _shown(details, key)))[0]
        message = _message(details)
        if message not in messages:
            messages.append(message)
    return [
        Problem(dotted(path) or "settings", _with_value(messages, shown), origin(path))
        for path, (messages, shown) in grouped.items()
    ]


def environment_problems(
    model: type[BaseModel],
    environ: Mapping[str, str],
    *,
    prefix: str,
    delimiter: str,
) -> Iterator[Problem]:
    """The environment variables pydantic-settings cannot read: values of lists, dictionaries
    and tables, which it takes as JSON only, that are not JSON."""
    for variable, value in sorted(environ.items()):
        path = environment_key(model, prefix, delimiter, variable)
        if path is None or not value:
            continue
        annotation = annotation_at(model, path)
        if not is_json_in_environment(annotation):
            continue
        try:
            json.loads(value)
        except json.JSONDecodeError as decode_error:
            kind, example = _json_example(annotation)
            yield Problem(
                dotted(path),
                f"not JSON ({decode_error.msg} at column {decode_error.colno}); the "
                f"environment takes {kind} as JSON, e.g. {variable}='{example}'",
                variable,
            )


def _json_example(annotation: Any) -> tuple[str, str]:
    """What kind of value a setting holds, and an example of it in JSON: for a table, its
    first setting at its default."""
    model = settings_model(annotation)
    if model is not None:
        name, field = next(iter(model.model_fields.items()))
        default = field.get_default(call_default_factory=True)
        try:
            return "a table", json.dumps({name: default})
        except TypeError:  # a default JSON cannot write; the key is what the example shows
            return "a table", json.dumps({name: 1})
    if (get_origin(annotation) or annotation) is dict:
        return "a table", '{"key": "value"}'
    return "a list", '["a", "b"]'
