"""The operations page: ``/ops`` on the gateway that ``crossdock up`` serves.

Charts of cycle time and fallout over time and the live list of orders at risk, all read
through the graph (the ``operations`` query and the ``ordersAtRiskChanged`` subscription) by
the page's own script in the browser, with uPlot vendored beside it (``static/README.md``).
The gateway stays generic: it serves these routes beside its own
(``create_gateway_app(..., routes=ops_routes())``) and knows nothing of what they show.
See ``docs/operations-page.md``.
"""

from crossdock.ops_page._routes import ASSET_PREFIX, OPS_PATH, ops_routes

__all__ = ["ASSET_PREFIX", "OPS_PATH", "ops_routes"]
