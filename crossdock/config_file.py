"""The config file: where it is, reading it, and the source that gives its values to settings.

The file is TOML (``tomllib`` reads it with no dependency; a config needs no more than its
tables, and it is what ``pyproject.toml`` taught Python users to write). Its tables mirror the
environment's nesting: ``CROSSDOCK_GATEWAY__MAX_DEPTH`` is ``max_depth`` under ``[gateway]``.
It is found at ``--config FILE``, else at ``$CROSSDOCK_CONFIG``, else at ``./crossdock.toml``
when that exists; a file named but missing is an error, as is a key it has that names no
setting (a typo must not pass silently, while the environment keeps ignoring variables it
does not know, since it is shared with everything else on the machine).

Keyword arguments (the flags) override the environment, which overrides the file:
:func:`settings_sources` orders the sources so for ``Settings.settings_customise_sources``.
Which file (and whether the environment counts, as it does not for ``crossdock config
check``) is chosen for a block of code with :func:`reading`.
"""

from __future__ import annotations

import contextlib
import os
import re
import tomllib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, InitSettingsSource, PydanticBaseSettingsSource

from crossdock.config_errors import ConfigurationError, Problem
from crossdock.config_keys import KeyPath, dotted, unknown_keys

__all__ = [
    "DEFAULT_FILE",
    "ENVIRONMENT_VARIABLE",
    "ConfigFile",
    "ConfigFileSource",
    "Located",
    "Sources",
    "locate_config_file",
    "read_config_file",
    "reading",
    "settings_sources",
    "unknown_key_problems",
]

ENVIRONMENT_VARIABLE = "CROSSDOCK_CONFIG"
DEFAULT_FILE = Path("crossdock.toml")

# Python 3.11's TOMLDecodeError only says where in its message (3.14 adds attributes).
_POSITION = re.compile(r" \(at (?:line (\d+), column (\d+)|end of document)\)$")


@dataclass(frozen=True, slots=True)
class ConfigFile:
    """A config file read: where it is, its text (for line numbers) and its tables."""

    path: Path
    text: str
    data: dict[str, Any]

    def where(self, key: KeyPath) -> str:
        """``crossdock.toml:12``: the file and the line that sets ``key``, as near as a
        line-by-line look finds it (``[table]`` headers and ``key =`` or ``a.b =`` lines)."""
        line = _line_of(self.text, [part for part in key if isinstance(part, str)])
        return f"{self.path}:{line}" if line else str(self.path)


def _line_of(text: str, wanted: list[str]) -> int | None:
    table: list[str] = []
    best: tuple[int, int] | None = None  # (length of the key matched, line)
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if line.startswith("["):
            table = _dotted_key(line.strip("[]"))
            found = table
        elif "=" in line:
            found = table + _dotted_key(line.split("=", 1)[0])
        else:
            continue
        if found == wanted[: len(found)] and (best is None or len(found) > best[0]):
            best = (len(found), number)
    return best[1] if best else None


def _dotted_key(text: str) -> list[str]:
    return [part.strip().strip("\"'") for part in text.split(".")]


@dataclass(frozen=True, slots=True)
class Located:
    """The config file to read, and what named it (``--config``, ``CROSSDOCK_CONFIG``; empty
    for ``./crossdock.toml`` found in the working directory)."""

    path: Path
    named_by: str = ""


def locate_config_file(explicit: Path | None = None) -> Located | None:
    """The config file to read: ``explicit`` (``--config``), else ``$CROSSDOCK_CONFIG``,
    else ``./crossdock.toml`` when it exists, else none."""
    if explicit is not None:
        return Located(explicit, "--config")
    named = os.environ.get(ENVIRONMENT_VARIABLE)
    if named:
        return Located(Path(named), ENVIRONMENT_VARIABLE)
    return Located(DEFAULT_FILE) if DEFAULT_FILE.exists() else None


def read_config_file(located: Located) -> ConfigFile:
    """Read and parse the file; one that is missing, unreadable or not TOML raises
    :class:`ConfigurationError` saying so (with the line and column of a syntax error)."""
    path = located.path
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        reason = error.strerror or str(error)
        problem = Problem(located.named_by, f"cannot read config file {path}: {reason}")
        raise ConfigurationError([problem]) from None
    except UnicodeDecodeError as error:
        message = f"config file {path} is not UTF-8 text (byte {error.start + 1})"
        raise ConfigurationError([Problem(located.named_by, message)]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError([_syntax_problem(path, text, error)]) from None
    return ConfigFile(path, text, data)


def _syntax_problem(path: Path, text: str, error: tomllib.TOMLDecodeError) -> Problem:
    message = str(error)
    found = _POSITION.search(message)
    if found is None:
        return Problem("", f"not valid TOML: {message}", str(path))
    if found.group(1):
        line, column = int(found.group(1)), int(found.group(2))
    else:  # at the end: the last line, after its last character
        lines = text.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
    reason = message[: found.start()]
    return Problem("", f"not valid TOML: {reason}", f"{path}:{line}:{column}")


def unknown_key_problems(settings: type[BaseSettings], file: ConfigFile) -> list[Problem]:
    """A problem for each key of ``file`` that names no setting."""
    problems = []
    for unknown in unknown_keys(settings, file.data):
        hint = f"; did you mean {unknown.suggestion}?" if unknown.suggestion else ""
        problems.append(
            Problem(dotted(unknown.path), f"no such setting{hint}", file.where(unknown.path))
        )
    return problems


class ConfigFileSource(InitSettingsSource):
    """The values of a config file, for pydantic-settings (as its TOML source gives them,
    from a file read and checked here)."""

    def __init__(self, settings_cls: type[BaseSettings], file: ConfigFile) -> None:
        self.file = file
        super().__init__(settings_cls, file.data)

    def __repr__(self) -> str:
        return f"ConfigFileSource({self.file.path})"


@dataclass(frozen=True, slots=True)
class Sources:
    """What settings are read from besides their keyword arguments: a config file (or none)
    and, unless ``environment`` is false, the environment."""

    file: ConfigFile | None
    environment: bool = True


_chosen: ContextVar[Sources | None] = ContextVar("crossdock_settings_sources", default=None)


@contextlib.contextmanager
def reading(sources: Sources) -> Iterator[None]:
    """Within the block, settings are read from ``sources``; outside any such block, from
    the environment and the file :func:`locate_config_file` finds."""
    token = _chosen.set(sources)
    try:
        yield
    finally:
        _chosen.reset(token)


def settings_sources(
    settings_cls: type[BaseSettings],
    init_settings: PydanticBaseSettingsSource,
    environment: tuple[PydanticBaseSettingsSource, ...],
) -> tuple[PydanticBaseSettingsSource, ...]:
    """The sources in order of precedence: keyword arguments, then the ``environment``
    sources, then the config file."""
    chosen = _chosen.get()
    if chosen is None:
        chosen = Sources(_discovered(settings_cls))
    sources = (init_settings, *(environment if chosen.environment else ()))
    if chosen.file is not None:
        sources = (*sources, ConfigFileSource(settings_cls, chosen.file))
    return sources


def _discovered(settings_cls: type[BaseSettings]) -> ConfigFile | None:
    """The file found by :func:`locate_config_file`, read and checked."""
    located = locate_config_file()
    if located is None:
        return None
    file = read_config_file(located)
    problems = unknown_key_problems(settings_cls, file)
    if problems:
        raise ConfigurationError(problems)
    return file
