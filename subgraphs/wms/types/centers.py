"""``DistributionCenter``: the WMS's facilities, an entity this subgraph owns."""

from __future__ import annotations

import strawberry

from subgraphs.common.client import SystemResponseInvalid
from subgraphs.common.types import Address, Region
from subgraphs.wms.records import FacilityRecord
from subgraphs.wms.types.base import Info
from subgraphs.wms.vendor import SYSTEM

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
        a = record.address
        return cls(
            id=strawberry.ID(record.id),
            name=record.name,
            region=record.region,
            address=Address(
                street=a.street,
                city=a.city,
                state=a.state,
                postal_code=a.postal_code,
                country=a.country,
                region=a.region,
            ),
            timezone=record.timezone,
        )

    @classmethod
    async def resolve_reference(cls, info: Info, id: strawberry.ID) -> DistributionCenter | None:
        return await load_center(info, str(id))


async def load_center(info: Info, center_id: str) -> DistributionCenter | None:
    """The distribution center ``center_id``, or ``None`` if the WMS does not know it."""
    record = await info.context.loaders.facility.load(center_id)
    return None if record is None else DistributionCenter.from_record(record)


async def referenced_center(info: Info, center_id: str, referrer: str) -> DistributionCenter:
    """The center a WMS record refers to; a dangling reference is an invalid WMS answer."""
    center = await load_center(info, center_id)
    if center is None:
        raise SystemResponseInvalid(SYSTEM, f"{referrer} refers to unknown facility {center_id}")
    return center
