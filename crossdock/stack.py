"""What ``crossdock up`` serves: the three reference systems and the subgraphs over them."""

from __future__ import annotations

from dataclasses import dataclass

from crossdock.runner import Service
from crossdock.settings import SYSTEM_NAMES, Settings
from subgraphs.apps import SUBGRAPH_NAMES, create_subgraph_app, subgraph_port
from systems.apps import create_system_app
from systems.seeding import seed_all

__all__ = ["Stack", "build_stack"]


@dataclass(frozen=True)
class Stack:
    """The services of one ``crossdock up``, in start order."""

    services: list[Service]
    seed_report: str


def build_stack(settings: Settings) -> Stack:
    """Seed the systems if needed and build every service of the embedded default."""
    report = seed_all(settings, reset=False)
    services = [
        Service(
            f"{name} system",
            create_system_app(name, settings),
            settings.host,
            settings.system_port(name),
        )
        for name in SYSTEM_NAMES
    ]
    services += [
        Service(
            f"{name} subgraph",
            create_subgraph_app(name, settings),
            settings.host,
            subgraph_port(name, settings),
            path="/graphql",
        )
        for name in SUBGRAPH_NAMES
    ]
    return Stack(services=services, seed_report=report)
