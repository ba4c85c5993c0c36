"""The CRM's picklists: our world's codes as the vendor displays and stores them."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "CASE_ORIGINS",
    "CASE_PRIORITIES",
    "CASE_STATUSES",
    "CLOSED_STATUS",
    "REGIONS",
    "SEGMENTS",
    "TASK_STATUS_COMPLETED",
    "TASK_TYPES",
    "TIERS",
]

SEGMENTS: Mapping[str, str] = {
    "ENTERPRISE": "Enterprise",
    "MID_MARKET": "Mid-Market",
    "SMALL_BUSINESS": "Small Business",
}
REGIONS: Mapping[str, str] = {
    "NORTHEAST": "Northeast",
    "SOUTHEAST": "Southeast",
    "MIDWEST": "Midwest",
    "SOUTHWEST": "Southwest",
    "WEST": "West",
}
TIERS: Mapping[str, str] = {
    "PLATINUM": "Platinum",
    "GOLD": "Gold",
    "SILVER": "Silver",
    "BRONZE": "Bronze",
}
CASE_STATUSES: Mapping[str, str] = {
    "NEW": "New",
    "WORKING": "Working",
    "ESCALATED": "Escalated",
    "CLOSED": "Closed",
}
CASE_PRIORITIES: Mapping[str, str] = {
    "LOW": "Low",
    "MEDIUM": "Medium",
    "HIGH": "High",
    "CRITICAL": "Critical",
}
CASE_ORIGINS: Mapping[str, str] = {
    "PHONE": "Phone",
    "EMAIL": "Email",
    "WEB": "Web",
    "PORTAL": "Portal",
    # Opened by a system on a warehouse or carrier event (the milestone consumer).
    "WAREHOUSE": "Warehouse",
}
CLOSED_STATUS = CASE_STATUSES["CLOSED"]
# Tasks (the activity history of an account): what kind of activity it was.
TASK_TYPES: Mapping[str, str] = {
    "FULFILLMENT": "Fulfillment",
    "CALL": "Call",
    "EMAIL": "Email",
    "MEETING": "Meeting",
    "OTHER": "Other",
}
TASK_STATUS_COMPLETED = "Completed"
"""Tasks enter the CRM as activity history: something that has happened, so completed."""
