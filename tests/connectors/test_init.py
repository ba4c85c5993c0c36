"""The public surface of connectors: what subgraphs, resolvers and consumers build on."""

from __future__ import annotations

import importlib
import pkgutil

import connectors


def test_every_public_name_is_exported() -> None:
    exported = connectors.__all__
    assert exported == sorted(exported, key=lambda name: (not name.isupper(), name))
    for name in exported:
        assert getattr(connectors, name) is not None


def test_every_module_declares_all_and_a_docstring() -> None:
    modules = [
        info.name for info in pkgutil.walk_packages(connectors.__path__, prefix="connectors.")
    ]
    assert "connectors.wms.webhooks" in modules  # the walk reaches the subpackages
    for name in modules:
        module = importlib.import_module(name)
        assert module.__doc__, name
        for public in module.__all__:
            assert hasattr(module, public), (name, public)


def test_the_interface_the_graph_builds_on() -> None:
    expected = {
        "AddressRecord",
        "ConnectorSettings",
        "Payload",
        "Region",
        "SystemCallError",
        "SystemClient",
        "SystemResponseInvalid",
        "SystemUnavailable",
        "dangling",
        "parse_payload",
        "sendable_id",
        "system_client",
    }
    assert expected <= set(connectors.__all__)
