"""An example config file: every setting at its default, its description as a comment.

Rendered from the models (``crossdock config example``), so the committed
``crossdock.example.toml`` is checked against it and cannot drift. Scalars come before the
tables of a table, as TOML wants; a setting that is unset by default (TOML has no null) or
whose default is composed from other settings is written commented out, so that copying the
file changes nothing. A composed table (``[gateway.auth]``, from ``[auth]``) is only named,
commented out, without its keys: any key written under it would pin the whole table, and it
would stop following the settings it is composed from.
"""

from __future__ import annotations

import inspect
import json
import re
import textwrap
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from crossdock.config_keys import KeyPath, settings_model

__all__ = ["render_example"]

_WIDTH = 100
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def render_example(
    model: type[BaseModel],
    defaults: Mapping[str, Any],
    *,
    header: str,
    composed: Mapping[KeyPath, str],
) -> str:
    """The example file of ``model``'s settings at ``defaults`` (its JSON dump), opened by
    ``header``; ``composed`` says what the settings whose default is composed default to."""
    lines = [_comment(header), ""]
    _table(lines, model, defaults, (), composed)
    return "\n".join(lines).rstrip("\n") + "\n"


def _comment(text: str, indent: str = "") -> str:
    # Docstrings quote code as reStructuredText does; a comment reads better as Markdown.
    text = text.replace("``", "`")
    paragraphs = [" ".join(p.split()) for p in text.strip().split("\n\n")]
    wrapped = [
        "\n".join(textwrap.wrap(p, _WIDTH - 2 - len(indent), break_on_hyphens=False))
        for p in paragraphs
    ]
    return "\n".join(f"{indent}# {line}".rstrip() for line in "\n\n".join(wrapped).splitlines())


def _is_table(field: FieldInfo, value: Any) -> bool:
    return settings_model(field.annotation) is not None and (
        value is None or isinstance(value, dict)
    )


def _table(
    lines: list[str],
    model: type[BaseModel],
    values: Mapping[str, Any],
    path: KeyPath,
    composed: Mapping[KeyPath, str],
) -> None:
    fields = model.model_fields
    for name, field in fields.items():
        if _is_table(field, values.get(name)):
            continue
        key = (*path, name)
        if field.description:
            lines.append(_comment(_sentence(field.description)))
        value = values.get(name)
        if key not in composed and value is not None:
            lines.append(f"{_key(name)} = {_value(value)}")
            continue
        if value is None:
            value = field.examples[0] if field.examples else None
        shown = "…" if value is None else _value(value)
        default = f"default: {composed[key]}" if key in composed else "unset by default"
        # Uncommenting the line (its first "#") leaves valid TOML.
        lines.append(f"# {_key(name)} = {shown}  # {default}")
    for name, field in fields.items():
        value = values.get(name)
        if not _is_table(field, value):
            continue
        sub = settings_model(field.annotation)
        assert sub is not None
        key = (*path, name)
        header = ".".join(_key(str(part)) for part in key)
        lines.append("")
        about = field.description or inspect.cleandoc(sub.__doc__ or "")
        if about:
            lines.append(_comment(_sentence(about)))
        if key in composed:
            lines.append(f"# [{header}]  (default: {composed[key]})")
            continue
        if value is None:
            lines.append(f"# [{header}]  (unset by default)")
            for sub_name, sub_field in sub.model_fields.items():
                if sub_field.description:
                    lines.append(_comment(_sentence(sub_field.description)))
                example = sub_field.examples[0] if sub_field.examples else None
                lines.append(f"# {_key(sub_name)} = {'…' if example is None else _value(example)}")
            continue
        lines.append(f"[{header}]")
        _table(lines, sub, value, key, composed)


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "?", "!")) else ".")


def _key(name: str) -> str:
    return name if _BARE_KEY.fullmatch(name) else json.dumps(name)


def _value(value: Any) -> str:
    """``value`` (JSON-compatible, as a JSON dump has it) written as TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        # A JSON string is a TOML basic string, but for DEL, which TOML wants escaped.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML for {value!r}")
