"""Loading the settings from flags, the environment and a config file, with every problem
found at once and each bad value traced to where it was written.

:class:`Configuration` is what the command line builds from its arguments; ``load()`` answers
:class:`~crossdock.settings.Settings` or raises :class:`ConfigurationError` with one
:class:`Problem` per bad value, naming the key and where the value came from (``--port``,
``CROSSDOCK_GATEWAY__OVERRIDE_LABELS``, ``crossdock.toml:12``).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import SettingsError

from crossdock.config_errors import (
    ConfigurationError,
    Problem,
    environment_problems,
    validation_problems,
)
from crossdock.config_file import (
    ConfigFile,
    Located,
    Sources,
    locate_config_file,
    read_config_file,
    reading,
    unknown_key_problems,
)
from crossdock.config_keys import KeyPath, dotted, environment_key
from crossdock.settings import Settings

__all__ = ["Configuration", "ConfigurationError", "Flag", "Problem"]

_PREFIX = Settings.model_config.get("env_prefix") or ""
_DELIMITER = Settings.model_config.get("env_nested_delimiter") or "__"


@dataclass(frozen=True, slots=True)
class Flag:
    """A setting given on the command line: the setting, the flag's name, its value."""

    key: tuple[str, ...]
    name: str
    value: Any


def _related(a: KeyPath, b: KeyPath) -> bool:
    """Whether one key holds the other (or they are the same)."""
    return a[: len(b)] == b or b[: len(a)] == a


def _holds(data: Any, key: KeyPath) -> bool:
    """Whether ``data`` sets ``key``, something above it or something under it."""
    for part in key:
        if isinstance(data, Mapping):
            if part not in data:
                return False
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int):
            if part >= len(data):
                return False
            data = data[part]
        else:
            return True  # a value above the key (an inline table, a list) sets it
    return True


class Configuration:
    """Where the settings come from: ``flags`` over the environment (unless ``environment``
    is false) over the config file (``config_file``, else the one found as
    :func:`~crossdock.config_file.locate_config_file` says)."""

    def __init__(
        self,
        config_file: Path | None = None,
        flags: Sequence[Flag] = (),
        *,
        environment: bool = True,
    ) -> None:
        self.flags = tuple(flags)
        self.environment = environment
        located = (
            locate_config_file(config_file)
            if environment
            else (None if config_file is None else Located(config_file))
        )
        # A file that cannot be read or parsed stops here: nothing else can be said about it.
        self.file: ConfigFile | None = None if located is None else read_config_file(located)

    def load(self) -> Settings:
        """The settings, or every problem with them in one :class:`ConfigurationError`."""
        problems = unknown_key_problems(Settings, self.file) if self.file else []
        settings: Settings | None = None
        with reading(Sources(self.file, self.environment)):
            try:
                settings = Settings(**self._flag_values())
            except ValidationError as error:
                problems += validation_problems(Settings, error, self.origin)
            except SettingsError as error:
                problems += self._environment_problems(error)
        if problems or settings is None:
            raise ConfigurationError(problems)
        return settings

    def _flag_values(self) -> dict[str, Any]:
        """The flags as keyword arguments: nested, as the environment's ``__`` nests."""
        values: dict[str, Any] = {}
        for flag in self.flags:
            *parents, last = flag.key
            table = values
            for part in parents:
                table = table.setdefault(part, {})
            table[last] = flag.value
        return values

    def _environment_problems(self, error: SettingsError) -> list[Problem]:
        found = list(
            environment_problems(Settings, os.environ, prefix=_PREFIX, delimiter=_DELIMITER)
        )
        if found:
            return found
        # pydantic-settings failed in a way not foreseen here: still one line, its own words.
        cause = error.__cause__
        return [Problem("settings", f"{error}: {cause}" if cause else str(error), "environment")]

    def origin(self, key: KeyPath) -> str | None:
        """Where the value at ``key`` came from: the flag, the environment variables or the
        place in the config file that set it (or something above or under it), by
        precedence; None for a default."""
        if not key:
            return None
        for flag in self.flags:
            if _related(flag.key, key):
                return flag.name
        if self.environment:
            variables = sorted(self._variables_setting(key))
            if variables:
                return ", ".join(variables)
        if self.file is not None and _holds(self.file.data, key):
            return self.file.where(key)
        return None

    def _variables_setting(self, key: KeyPath) -> Iterable[str]:
        for variable in os.environ:
            path = environment_key(Settings, _PREFIX, _DELIMITER, variable)
            if path is not None and _related(path, key):
                yield variable

    def problem(self, key: KeyPath, message: str) -> Problem:
        """A problem with the value at ``key`` that a start-up check found."""
        return Problem(dotted(key), message, self.origin(key))

    def ensure_data_dir(self, settings: Settings) -> None:
        """Create ``settings.data_dir`` if needed, for a command that keeps files there; one
        that cannot be created or written to is a problem of ``data_dir`` now, not a
        traceback from deep inside later."""
        path = settings.data_dir
        if path.exists() and not path.is_dir():
            raise ConfigurationError([self.problem(("data_dir",), f"{path} is not a directory")])
        try:
            path.mkdir(parents=True, exist_ok=True)
            # A file of its own, so that processes starting together do not trip on each other.
            with tempfile.TemporaryFile(dir=path):
                pass
        except OSError as error:
            message = f"cannot create or write to {path}: {error.strerror or error}"
            raise ConfigurationError([self.problem(("data_dir",), message)]) from None
