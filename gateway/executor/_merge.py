"""Walk and merge response data: objects at a plan path, deep merge, representations."""

from __future__ import annotations

from typing import Any

from gateway.planner import RepSelection

__all__ = [
    "ResponsePath",
    "deep_merge",
    "objects_at",
    "objects_in",
    "representation",
    "restore_keys",
]

ResponsePath = list[str | int]


def objects_at(
    data: Any, path: tuple[str, ...], prefix: ResponsePath | None = None
) -> list[tuple[dict[str, Any], ResponsePath]]:
    """The objects at a plan path (``@`` steps into lists), each with its response path."""
    found: list[tuple[dict[str, Any], ResponsePath]] = []
    _walk(data, path, 0, list(prefix or []), found)
    return found


def objects_in(data: Any, path: tuple[str, ...]) -> list[dict[str, Any]]:
    """The objects :func:`objects_at` finds, in the same order, without their paths."""
    current: list[Any] = [data]
    for step in path:
        found: list[Any] = []
        if step == "@":
            for value in current:
                if isinstance(value, list):
                    found.extend(value)
        else:
            for value in current:
                if isinstance(value, dict):
                    item = value.get(step)
                    if item is not None:
                        found.append(item)
        current = found
    objects: list[dict[str, Any]] = []
    _flatten(current, objects)
    return objects


def _flatten(values: list[Any], objects: list[dict[str, Any]]) -> None:
    for value in values:
        if isinstance(value, dict):
            objects.append(value)
        elif isinstance(value, list):  # a list the plan path did not step into
            _flatten(value, objects)


def _walk(
    value: Any,
    path: tuple[str, ...],
    index: int,
    at: ResponsePath,
    found: list[tuple[dict[str, Any], ResponsePath]],
) -> None:
    if value is None:
        return
    if index == len(path):
        if isinstance(value, dict):
            found.append((value, at))
        elif isinstance(value, list):  # a list the plan path did not step into
            for i, item in enumerate(value):
                _walk(item, path, index, [*at, i], found)
        return
    step = path[index]
    if step == "@":
        if isinstance(value, list):
            for i, item in enumerate(value):
                _walk(item, path, index + 1, [*at, i], found)
        return
    if isinstance(value, dict):
        _walk(value.get(step), path, index + 1, [*at, step], found)


def deep_merge(target: dict[str, Any], source: dict[str, Any]) -> None:
    """Merge ``source`` into ``target``: objects field by field, lists item by item."""
    for key, value in source.items():
        current = target.get(key)
        if current is None:  # most of what an entity brings: fields the object lacks
            target[key] = value
        elif isinstance(current, dict) and isinstance(value, dict):
            deep_merge(current, value)
        elif isinstance(current, list) and isinstance(value, list) and len(current) == len(value):
            _merge_lists(current, value)
        else:
            target[key] = value


def _merge_lists(target: list[Any], source: list[Any]) -> None:
    for i, (current, value) in enumerate(zip(target, source, strict=True)):
        if isinstance(current, dict) and isinstance(value, dict):
            deep_merge(current, value)
        elif isinstance(current, list) and isinstance(value, list) and len(current) == len(value):
            _merge_lists(current, value)
        else:
            target[i] = value


_MISSING = object()


def representation(obj: dict[str, Any], shape: RepSelection) -> dict[str, Any] | None:
    """The representation of ``obj``; ``None`` when a key field is null or missing."""
    rep = _copy(obj, shape)
    if rep is None:
        return None
    for key in shape.keys:
        if rep.get(key) is None:
            return None
    if shape.as_type:
        rep["__typename"] = shape.as_type
    return rep


def _copy(obj: dict[str, Any], shape: RepSelection) -> dict[str, Any] | None:
    out: dict[str, Any] = {}
    for field in shape.fields:
        value = obj.get(field.source or field.name, _MISSING)
        if value is _MISSING:
            if field.name in shape.keys:
                return None
            value = None
        elif field.selection is not None:
            value = _copy_value(value, field.selection)
        out[field.name] = value
    typename = obj.get("__typename")
    for type_name, fragment in shape.fragments:
        if typename == type_name:
            part = _copy(obj, fragment)
            if part is not None:
                out.update(part)
    return out


def _copy_value(value: Any, shape: RepSelection) -> Any:
    if isinstance(value, list):
        return [_copy_value(v, shape) for v in value]
    if isinstance(value, dict):
        return _copy(value, shape)
    return value


def restore_keys(value: Any, renames: dict[str, str]) -> None:
    """Put fields the planner aliased apart (``id__Admin``) back under their keys, in place.

    An alias is only ever selected on objects of its one type, so no type check is needed.
    """
    if isinstance(value, list):
        for item in value:
            restore_keys(item, renames)
    elif isinstance(value, dict):
        for key in [k for k in value if k in renames]:
            value[renames[key]] = value.pop(key)
        for item in value.values():
            if isinstance(item, dict | list):
                restore_keys(item, renames)
