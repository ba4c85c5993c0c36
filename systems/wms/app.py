"""The reference WMS's REST app over its SQLite file."""

from __future__ import annotations

from starlette.applications import Starlette

from crossdock.settings import Settings
from systems.common.db import Database
from systems.common.http import create_rest_app
from systems.wms.routes import wms_routes

__all__ = ["create_app"]


def create_app(settings: Settings) -> Starlette:
    """The WMS app; its database is closed when the server stops."""
    db = Database.open(settings.system_db_path("wms"))
    return create_rest_app("wms", wms_routes(db), settings.faults("wms"), on_shutdown=[db.close])
