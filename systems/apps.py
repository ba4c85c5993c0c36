"""Build the ASGI app of a reference system by name."""

from __future__ import annotations

from starlette.applications import Starlette

from systems.settings import SystemName, SystemsSettings

__all__ = ["create_system_app"]


def create_system_app(name: SystemName, settings: SystemsSettings) -> Starlette:
    """The REST app of system ``name`` over its SQLite file in ``settings.data_dir``."""
    if name == "crm":
        from systems.crm.app import create_app as create_crm

        return create_crm(settings)
    if name == "erp":
        from systems.erp.app import create_app as create_erp

        return create_erp(settings)
    from systems.wms.app import create_app as create_wms

    return create_wms(settings)
