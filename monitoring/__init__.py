"""Business activity monitoring: cycle times, fallout, orders at risk, shipment status latency
and inventory truth, computed incrementally from facts (docs/operations.md).

Facts come from the milestone stream (its own consumer group: ``monitoring.milestones``), from
the workflows' outcomes (recorded by the orchestration), from the consumers' invoices and
credits, and from the wms subgraph's feed as it hands events to subscribers. A ``Monitor``
records each once by its event id in a ``MonitoringStore`` shared by every process (Redis, or a
SQLite file in the data dir) and reads the measures over a window. No GraphQL here: the wms
subgraph serves them as ``operations``.
"""

from monitoring.inventory import Balance, Discrepancy, InventoryTruth
from monitoring.measures import CycleBucket, CycleTime, Fallout, FalloutBucket, Latency
from monitoring.milestones import MONITORING_GROUP, MilestoneFacts, fact_of
from monitoring.monitor import MAX_WINDOW_HOURS, AtRisk, Monitor, open_store
from monitoring.records import AtRiskReason, CycleStage, Fact, FactKind, FalloutKind
from monitoring.settings import MonitoringConfig, MonitoringSettings, StageMinutes
from monitoring.store import MonitoringStore

__all__ = [
    "MAX_WINDOW_HOURS",
    "MONITORING_GROUP",
    "AtRisk",
    "AtRiskReason",
    "Balance",
    "CycleBucket",
    "CycleStage",
    "CycleTime",
    "Discrepancy",
    "Fact",
    "FactKind",
    "Fallout",
    "FalloutBucket",
    "FalloutKind",
    "InventoryTruth",
    "Latency",
    "MilestoneFacts",
    "Monitor",
    "MonitoringConfig",
    "MonitoringSettings",
    "MonitoringStore",
    "StageMinutes",
    "fact_of",
    "open_store",
]
