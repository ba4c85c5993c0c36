"""Fixtures Apollo composes that the gateway refuses to serve, and why: their auth directives
hold values that are not lists of strings (``scopes: [[1]]``, an object), which read as asking
nothing would open their fields to everyone (``gateway/supergraph/_auth.py``)."""

from __future__ import annotations

UNSERVABLE = frozenset({"auth_coerced"})
"""Folder names under ``tests/gateway/composition/apollo``."""
