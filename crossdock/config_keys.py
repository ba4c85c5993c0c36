"""The settings as a tree of keys: how the config file, the environment and messages name a
setting, found by walking the fields of the pydantic models that hold it.

A key is a path from :class:`~crossdock.settings.Settings` down: ``("gateway", "max_depth")``
is ``gateway.max_depth`` in messages, ``max_depth`` under ``[gateway]`` in the file and
``CROSSDOCK_GATEWAY__MAX_DEPTH`` in the environment. Nothing here knows our settings: every
function walks whatever models it is given, so the settings other components add are covered
the day they are added.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import AliasChoices, BaseModel
from pydantic.fields import FieldInfo

__all__ = [
    "NOT_A_KEY",
    "KeyPath",
    "UnknownKey",
    "annotation_at",
    "canonical_key",
    "child_annotation",
    "dotted",
    "environment_key",
    "environment_names",
    "is_json_in_environment",
    "setting_keys",
    "settings_model",
    "unknown_keys",
]

KeyPath = tuple[str | int, ...]
"""A setting's place: field names, list indices and dictionary keys from the top model down."""

_SEQUENCES = (list, tuple, set, frozenset)


class _NotAKey:
    def __repr__(self) -> str:
        return "NOT_A_KEY"


NOT_A_KEY: Any = _NotAKey()
"""What :func:`child_annotation` answers for a key that names nothing."""


def dotted(path: KeyPath) -> str:
    """``gateway.override_labels[0]``: a key as messages name it."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _members(annotation: Any) -> list[Any]:
    """The types an annotation may hold: ``Annotated`` stripped, unions unpacked, ``None``
    left out."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _members(get_args(annotation)[0])
    if origin is Union or origin is types.UnionType:
        return [m for arg in get_args(annotation) for m in _members(arg)]
    return [] if annotation is type(None) else [annotation]


def settings_model(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (also through ``Optional``), when it holds exactly one."""
    models = [m for m in _members(annotation) if isinstance(m, type) and issubclass(m, BaseModel)]
    return models[0] if len(models) == 1 else None


def _names(name: str, field: FieldInfo) -> list[str]:
    """The names a field is given by in a mapping: its own and its validation aliases."""
    alias = field.validation_alias
    if isinstance(alias, str):
        return [name, alias]
    if isinstance(alias, AliasChoices):
        return [name, *(c for c in alias.choices if isinstance(c, str))]
    return [name]


def _field(model: type[BaseModel], key: str, *, case_sensitive: bool = True) -> FieldInfo | None:
    for name, field in model.model_fields.items():
        names = _names(name, field)
        if key in names or (not case_sensitive and key.lower() in (n.lower() for n in names)):
            return field
    return None


def child_annotation(annotation: Any, key: str | int, *, case_sensitive: bool = True) -> Any:
    """The annotation of ``key`` inside a value of ``annotation`` (a model's field, a list's
    item, a dictionary's value); :data:`NOT_A_KEY` when there is no such key."""
    for member in _members(annotation):
        if isinstance(member, type) and issubclass(member, BaseModel):
            if isinstance(key, str):
                field = _field(member, key, case_sensitive=case_sensitive)
                if field is not None:
                    return field.annotation
            continue
        origin = get_origin(member) or member
        args = get_args(member)
        if origin in _SEQUENCES and isinstance(key, int):
            return args[0] if args else Any
        if origin is dict and isinstance(key, str):
            return args[1] if len(args) == 2 else Any
        if member is Any:
            return Any
    return NOT_A_KEY


def annotation_at(annotation: Any, path: KeyPath) -> Any:
    """The annotation of the value at ``path`` inside a value of ``annotation``, or
    :data:`NOT_A_KEY`."""
    for key in path:
        annotation = child_annotation(annotation, key)
        if annotation is NOT_A_KEY:
            break
    return annotation


def setting_keys(model: type[BaseModel], path: KeyPath = ()) -> Iterator[KeyPath]:
    """Every setting under ``model``, in the order the models define them: each table and
    the settings in it."""
    for name, field in model.model_fields.items():
        yield (*path, name)
        inner = settings_model(field.annotation)
        if inner is not None:
            yield from setting_keys(inner, (*path, name))


@dataclass(frozen=True, slots=True)
class UnknownKey:
    """A key of a mapping that no setting has, and the setting it was probably meant to be."""

    path: KeyPath
    suggestion: str | None


def unknown_keys(model: type[BaseModel], data: Mapping[str, Any]) -> Iterator[UnknownKey]:
    """Every key of ``data`` (nested tables and arrays of tables included) that ``model`` and
    the models under it do not define. A model that takes any key (``extra="allow"``) takes
    any key."""
    yield from _unknown_in(model, data, ())


def _unknown_in(annotation: Any, value: Any, path: KeyPath) -> Iterator[UnknownKey]:
    model = settings_model(annotation)
    if isinstance(value, Mapping) and model is not None:
        if model.model_config.get("extra") == "allow":
            return
        for key, item in value.items():
            field = _field(model, key)
            if field is None:
                close = difflib.get_close_matches(key, list(model.model_fields), n=1)
                yield UnknownKey((*path, key), dotted((*path, close[0])) if close else None)
            else:
                yield from _unknown_in(field.annotation, item, (*path, key))
        return
    items: Iterator[tuple[str | int, Any]]
    if isinstance(value, Mapping):
        items = iter(value.items())
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, item in items:
        inner = child_annotation(annotation, key)
        if inner is not NOT_A_KEY:
            yield from _unknown_in(inner, item, (*path, key))


def environment_names(settings: type[BaseModel], prefix: str) -> dict[str, str]:
    """Each top-level setting's environment variable, upper-cased, as pydantic-settings reads
    them: its validation aliases when it has any (``REDIS_URL``), else ``prefix`` + its name."""
    names: dict[str, str] = {}
    for name, field in settings.model_fields.items():
        aliases = _names(name, field)[1:]
        for env_name in aliases or [f"{prefix}{name}"]:
            names[env_name.upper()] = name
    return names


def environment_key(
    settings: type[BaseModel], prefix: str, delimiter: str, variable: str
) -> KeyPath | None:
    """The setting environment variable ``variable`` sets (``CROSSDOCK_PORTS__GATEWAY``:
    ``("ports", "gateway")``), or None when it sets none (unknown variables are ignored)."""
    upper = variable.upper()
    for env_name, name in environment_names(settings, prefix).items():
        if upper == env_name:
            return (name,)
        if not upper.startswith(env_name + delimiter):
            continue
        path: KeyPath = (name,)
        annotation = settings.model_fields[name].annotation
        for part in variable[len(env_name) + len(delimiter) :].split(delimiter):
            key = canonical_key(annotation, part, case_sensitive=False)
            annotation = child_annotation(annotation, key)
            if annotation is NOT_A_KEY:
                return None
            path = (*path, key)
        return path
    return None


def canonical_key(annotation: Any, key: str | int, *, case_sensitive: bool = True) -> str | int:
    """``key`` inside a value of ``annotation`` as the field it names is called: an alias
    (``CROSSDOCK_REDIS_URL`` in pydantic's errors) or, case-insensitively, an environment
    variable's part (``GATEWAY``) becomes the field's name; other keys stay as they are."""
    model = settings_model(annotation)
    if model is None or not isinstance(key, str):
        return key
    field = _field(model, key, case_sensitive=case_sensitive)
    return next((name for name, f in model.model_fields.items() if f is field), key)


def is_json_in_environment(annotation: Any) -> bool:
    """Whether pydantic-settings insists on JSON for an environment value of this type: a
    list, set, tuple, dictionary or model, and not a union that could take the text as is
    (for those it falls back to the text when it is not JSON)."""
    members = _members(annotation)
    if len(members) != 1 or get_origin(annotation) in (Union, types.UnionType):
        return False
    member = members[0]
    if isinstance(member, type) and issubclass(member, BaseModel):
        return True
    return (get_origin(member) or member) in (*_SEQUENCES, dict)
