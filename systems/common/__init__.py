"""Shared plumbing of the reference ERP, CRM and WMS.

The Starlette app factory with health, admin stats and runtime fault injection
(``create_rest_app``), JSON responses and errors, query-parameter parsing, SQLite access, and
the records that make writes idempotent.
"""

from systems.common.db import Database, DatabaseMissing, Params, placeholders
from systems.common.errors import ApiError, ErrorBody, ErrorDetail, NotFound, Unprocessable
from systems.common.faults import FaultDecision, FaultInjector, TokenBucket
from systems.common.http import create_rest_app
from systems.common.idempotency import WriteLog, Written, digest, idempotency_table, next_number
from systems.common.params import (
    MAX_BATCH,
    PageRequest,
    describe_validation_error,
    parse_body,
    parse_bool,
    parse_choice,
    parse_date,
    parse_ids,
    parse_page,
)
from systems.common.responses import error_response, json_response, written_response
from systems.common.stats import RequestStats, StatsSnapshot

__all__ = [
    "MAX_BATCH",
    "ApiError",
    "Database",
    "DatabaseMissing",
    "ErrorBody",
    "ErrorDetail",
    "FaultDecision",
    "FaultInjector",
    "NotFound",
    "PageRequest",
    "Params",
    "RequestStats",
    "StatsSnapshot",
    "TokenBucket",
    "Unprocessable",
    "WriteLog",
    "Written",
    "create_rest_app",
    "describe_validation_error",
    "digest",
    "error_response",
    "idempotency_table",
    "json_response",
    "next_number",
    "parse_body",
    "parse_bool",
    "parse_choice",
    "parse_date",
    "parse_ids",
    "parse_page",
    "placeholders",
    "written_response",
]
