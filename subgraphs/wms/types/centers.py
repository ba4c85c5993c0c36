"""``DistributionCenter``: the WMS's facilities, an entity this subgraph owns."""

from __future__ import annotations

import strawberry

from connectors.payloads import dangling
from connectors.wms.records import FacilityRecord
from connectors.wms.vendor import SYSTEM
from subgraphs.common.types import Address, Region
from subgraphs.wms.types.base import Info

__all__ = ["DistributionCenter", "load_center", "referenced_center"]


@strawberry.federation.type(
    keys=["id"], description="A distribution center (warehouse) the distributor ships from."
)
class DistributionCenter:
    id: strawberry.ID = strawberry.field(description="The WMS facility code, e.g. ATL1.")
    name: str
    region: Region
    address: Address
    timezone: str = strawberry.field(description="IANA time zone, e.g. America/New_York.")

    @classmethod
    def from_record(cls, record: FacilityRecord) -> DistributionCenter:
        return cls(
            id=strawberry.ID(record.id),
            name=record.name,
            region=record.region,
            address=Address.from_record(record.address),
            timezone=record.timezone,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> DistributionCenter | None:
        return await load_center(info, str(id))


async def load_center(info: Info, center_id: str) -> DistributionCenter | None:
    """The distribution center ``center_id``, or ``None`` if the WMS does not know it."""
    return await info.context.loaders.facility.load_as(center_id, DistributionCenter.from_record)


async def referenced_center(info: Info, center_id: str, referrer: str) -> DistributionCenter:
    """The center a WMS record refers to; a dangling reference is an invalid WMS answer."""
    center = await load_center(info, center_id)
    if center is None:
        raise dangling(SYSTEM, referrer, "facility", center_id)
    return center
