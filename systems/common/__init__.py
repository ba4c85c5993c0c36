"""Shared plumbing of the reference ERP, CRM and WMS.

The Starlette app factory with health, admin stats and runtime fault injection
(``create_rest_app``), JSON responses and errors, query-parameter parsing, and SQLite access.
"""

from systems.common.db import Database, DatabaseMissing, Params, placeholders
from systems.common.errors import ApiError, ErrorBody, ErrorDetail, NotFound, Unprocessable
from systems.common.faults import FaultDecision, FaultInjector, TokenBucket
from systems.common.http import create_rest_app
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
from systems.common.responses import error_response, json_response
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
    "create_rest_app",
    "describe_validation_error",
    "error_response",
    "json_response",
    "parse_body",
    "parse_bool",
    "parse_choice",
    "parse_date",
    "parse_ids",
    "parse_page",
    "placeholders",
]
