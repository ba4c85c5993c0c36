"""The public surface of subgraphs.common: what the subgraphs may import."""

from __future__ import annotations

import importlib

import subgraphs.common

MODULES = [
    "access",
    "app",
    "entities",
    "enums",
    "errors",
    "federation",
    "fields",
    "identity",
    "loaders",
    "relay",
    "scoping",
    "sdl",
    "types",
]


def test_every_public_name_is_exported_and_documented() -> None:
    exported = subgraphs.common.__all__
    assert exported == sorted(exported, key=lambda name: (not name.isupper(), name))
    for name in exported:
        assert getattr(subgraphs.common, name) is not None


def test_every_module_declares_all_and_a_docstring() -> None:
    for name in MODULES:
        module = importlib.import_module(f"subgraphs.common.{name}")
        assert module.__doc__, name
        for public in module.__all__:
            assert hasattr(module, public), (name, public)


def test_the_interface_the_subgraphs_build_on() -> None:
    expected = {
        "Address",
        "BadUserInput",
        "CallerContext",
        "Connection",
        "Edge",
        "ErrorCodes",
        "GroupLoader",
        "Loader",
        "Money",
        "PageInfo",
        "PageRequest",
        "Region",
        "build_connection",
        "described",
        "create_graphql_app",
        "encode_cursor",
        "federation_schema",
        "graphql_enum",
        "page_request",
        "reference_loader",
        "subgraph_sdl",
    }
    assert expected <= set(subgraphs.common.__all__)
