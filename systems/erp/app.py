"""The reference ERP's app: its REST endpoints over its seeded SQLite file."""

from __future__ import annotations

from starlette.applications import Starlette

from systems.common.db import Database
from systems.common.http import create_rest_app
from systems.erp.routes import erp_routes
from systems.settings import SystemsSettings

__all__ = ["create_app"]


def create_app(settings: SystemsSettings) -> Starlette:
    """The ERP over ``settings.db_path("erp")``, with its configured faults."""
    db = Database.open(settings.db_path("erp"))
    return create_rest_app("erp", erp_routes(db), settings.faults("erp"), on_shutdown=[db.close])
