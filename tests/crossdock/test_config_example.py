"""``crossdock.example.toml``: generated from the settings, accepted as it is, equal to the
defaults, holding every setting, and safe to copy and edit."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from crossdock.config_cli import example_file
from crossdock.config_keys import KeyPath, dotted, setting_keys
from crossdock.configuration import Configuration
from crossdock.settings import COMPOSED_DEFAULTS, Settings

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "crossdock.example.toml"


def defaults() -> Settings:
    return Configuration(environment=False).load()


def test_the_committed_example_is_the_generated_one() -> None:
    """After a setting is added or changed: ``crossdock config example >
    crossdock.example.toml``, and review the diff."""
    assert EXAMPLE.read_text() == example_file()


def test_the_example_is_accepted_and_equals_the_defaults() -> None:
    loaded = Configuration(EXAMPLE, environment=False).load()
    assert loaded.model_dump() == defaults().model_dump()


def test_every_setting_is_in_the_example() -> None:
    """Each setting has its line: ``key = default``, or commented out when it is unset or
    composed by default."""
    written: set[KeyPath] = set()
    table: KeyPath = ()
    for line in EXAMPLE.read_text().splitlines():
        header = re.fullmatch(r"#? ?\[([a-z0-9_.]+)\].*", line)
        if header:
            table = tuple(header.group(1).split("."))
            written.add(table)
            continue
        setting = re.fullmatch(r"#? ?([a-z0-9_]+) = .*", line)
        if setting:
            written.add((*table, setting.group(1)))
    # A composed table is named, not filled in: its keys are set where it is composed from.
    missing = [
        dotted(key)
        for key in setting_keys(Settings)
        if key not in written and not any(key[: len(c)] == c for c in COMPOSED_DEFAULTS)
    ]
    assert missing == []


def test_uncommenting_a_setting_gives_a_file_that_is_accepted(tmp_path: Path) -> None:
    """The commented-out settings show a value that would pass (an example, or the
    composed default), so a user can uncomment the line and edit it."""
    text = EXAMPLE.read_text()
    uncommented = re.sub(r"^# ([a-z0-9_]+ = (?!…).*)$", r"\1", text, flags=re.MULTILINE)
    # A table unset by default is uncommented with its keys.
    uncommented = re.sub(
        r"^# (\[[a-z0-9_.]+\])  \(unset by default\)$", r"\1", uncommented, flags=re.MULTILINE
    )
    assert uncommented.count("\n# redis_url") < text.count("\n# redis_url")
    copy = tmp_path / "everything.toml"
    copy.write_text(uncommented)
    loaded = Configuration(copy, environment=False).load()
    assert loaded.redis_url == "redis://127.0.0.1:6379/0"
    assert loaded.wms_lifecycle.webhook_url == "http://127.0.0.1:4003/webhooks/wms"
    default = loaded.gateway.rate_limits.default
    assert default is not None and (default.capacity, default.interval) == (100, 60.0)


def test_a_copy_keeps_the_composed_defaults_composed(tmp_path: Path) -> None:
    """The gateway's Redis prefix follows ``cache_prefix`` in a copy of the example as it
    does without a file: the example does not pin it."""
    copy = tmp_path / "crossdock.toml"
    copy.write_text(
        EXAMPLE.read_text().replace('cache_prefix = "crossdock:"', 'cache_prefix = "team-a:"')
    )
    settings = Configuration(copy, environment=False).load()
    assert settings.cache_prefix == "team-a:"
    assert settings.gateway.redis_prefix == "team-a:gateway:"
    assert settings.event_streams_prefix == "team-a:events:seed7:"


def test_a_copy_keeps_composed_tables_composed(tmp_path: Path) -> None:
    """``[gateway.auth]`` follows ``[auth]`` in a copy of the example: the example leaves the
    composed table out, so it is never pinned to its defaults."""
    text = EXAMPLE.read_text()
    assert "\n[gateway.auth]" not in text
    assert "# [gateway.auth]  (default: the graph's auth (CROSSDOCK_AUTH__*))" in text
    jwks = tmp_path / "jwks.json"
    copy = tmp_path / "crossdock.toml"
    copy.write_text(text.replace("[auth]\n", f'[auth]\njwks = "{jwks}"\n', 1))
    settings = Configuration(copy, environment=False).load()
    assert settings.auth.jwks == str(jwks)
    assert settings.gateway.auth == settings.auth


@pytest.mark.parametrize("line", ["[gateway]", "[wms_lifecycle]", "[crm_faults]"])
def test_tables_say_what_they_hold(line: str) -> None:
    lines = EXAMPLE.read_text().splitlines()
    above = lines[lines.index(line) - 1]
    assert above.startswith("# ") and len(above) > 20
