"""Demo traffic for ``crossdock up --demo`` (or ``[demo] enabled``): a trickle of orders and
returns through the graph's mutations while the WMS timer moves released orders along, so the
operations page and the metrics move when a newcomer opens them. It runs for as long as the
gateway's app and stops with it (docs/operations-page.md)."""

from crossdock.demo.settings import DemoSettings
from crossdock.demo.traffic import DemoTraffic, run_demo_beside

__all__ = ["DemoSettings", "DemoTraffic", "run_demo_beside"]
