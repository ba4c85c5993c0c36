"""What a subgraph answers for the world's shared values, as GraphQL JSON."""

from __future__ import annotations

from systems.world_records import Address

__all__ = ["address_json"]


def address_json(address: Address) -> dict[str, str]:
    """An ``Address`` selected with all its fields."""
    return {
        "street": address.street,
        "city": address.city,
        "state": address.state,
        "postalCode": address.postal_code,
        "country": address.country,
        "region": address.region,
    }
