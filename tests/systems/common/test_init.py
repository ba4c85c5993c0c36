"""The package's public surface: what the systems build on is exported where promised."""

from __future__ import annotations

import importlib

import pytest

import systems.common

PROMISED = {
    "errors": ["ApiError", "NotFound", "Unprocessable"],
    "params": [
        "MAX_BATCH",
        "PageRequest",
        "parse_page",
        "parse_ids",
        "parse_choice",
        "parse_bool",
        "parse_date",
    ],
    "db": ["Database", "placeholders"],
    "http": ["json_response", "create_rest_app"],
}


def test_every_export_exists() -> None:
    assert len(set(systems.common.__all__)) == len(systems.common.__all__)
    for name in systems.common.__all__:
        assert hasattr(systems.common, name), name


@pytest.mark.parametrize("module", sorted(PROMISED))
def test_promised_names(module: str) -> None:
    loaded = importlib.import_module(f"systems.common.{module}")
    for name in PROMISED[module]:
        assert getattr(loaded, name) is getattr(systems.common, name)
        assert name in systems.common.__all__
