"""Values every system's records share, whatever the vendor's shape: a sales region, an address."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["AddressRecord", "Region"]


class Region(Enum):
    """Sales region of the United States."""

    NORTHEAST = "NORTHEAST"
    SOUTHEAST = "SOUTHEAST"
    MIDWEST = "MIDWEST"
    SOUTHWEST = "SOUTHWEST"
    WEST = "WEST"


@dataclass(frozen=True, slots=True)
class AddressRecord:
    """A postal address, normalized from a system's payload."""

    street: str
    city: str
    state: str
    postal_code: str
    country: str
    region: Region
