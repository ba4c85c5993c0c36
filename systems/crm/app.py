"""The reference CRM's ASGI app over its seeded SQLite file."""

from __future__ import annotations

from starlette.applications import Starlette

from systems.common.db import Database
from systems.common.http import create_rest_app
from systems.crm.queries import CrmStore
from systems.crm.routes import crm_routes
from systems.settings import SystemsSettings

__all__ = ["create_app"]


def create_app(settings: SystemsSettings) -> Starlette:
    """The CRM REST app; its database is closed when the server stops."""
    db = Database.open(settings.db_path("crm"))
    app = create_rest_app("crm", crm_routes(), settings.faults("crm"), on_shutdown=[db.close])
    app.state.store = CrmStore(db)
    return app
