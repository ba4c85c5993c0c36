"""How the WMS signs its webhooks: HMAC-SHA256 over ``f"{timestamp}.{body}"`` with the secret
it shares with the receiver, in one header, ``X-WMS-Signature: t=<unix seconds>,v1=<hex>``.

This is the vendor's side of the protocol (``docs/wms-webhooks.md``); the graph checks it with
its own code (``connectors.wms.signature``), as it would a real WMS's.
"""

from __future__ import annotations

import hashlib
import hmac
import time

__all__ = ["SIGNATURE_HEADER", "sign", "signature_header"]

SIGNATURE_HEADER = "X-WMS-Signature"


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``f"{timestamp}.{body}"`` under ``secret``."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The header value signing ``body`` now (or at ``timestamp``)."""
    ts = int(time.time()) if timestamp is None else timestamp
    return f"t={ts},v1={sign(secret, ts, body)}"
