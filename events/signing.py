"""Webhook signatures: HMAC-SHA256 over ``f"{timestamp}.{body}"`` with a shared secret.

The WMS signs every webhook it sends and the ``wms`` subgraph verifies it before anything is
published. The signature travels in one header, ``t=<unix seconds>,v1=<hex digest>``: binding
the timestamp into the digest is what lets the receiver refuse a replayed (stale) request.

The header is parsed strictly: ``t`` is 1 to 12 ASCII digits and ``v1`` 64 lowercase hex
digits; anything else (non-ASCII, Unicode digits, a huge number) is ``SignatureInvalid``,
never another exception.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

__all__ = ["SIGNATURE_HEADER", "SignatureInvalid", "sign", "signature_header", "verify"]

SIGNATURE_HEADER = "X-WMS-Signature"

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_DIGEST = re.compile(r"[0-9a-f]{64}")


class SignatureInvalid(Exception):
    """The request is unsigned, badly signed or stale; the message says which."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``f"{timestamp}.{body}"`` under ``secret``."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The header value signing ``body`` now (or at ``timestamp``)."""
    ts = int(time.time()) if timestamp is None else timestamp
    return f"t={ts},v1={sign(secret, ts, body)}"


def verify(
    secret: str,
    header: str | None,
    body: bytes,
    *,
    tolerance_seconds: float = 300.0,
    now: float | None = None,
) -> int:
    """Check ``header`` signs ``body``; returns its timestamp or raises ``SignatureInvalid``."""
    if not header:
        raise SignatureInvalid("missing signature")
    fields: dict[str, str] = {}
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            fields.setdefault(key, value)
    timestamp_text, digest = fields.get("t", ""), fields.get("v1", "")
    if not _TIMESTAMP.fullmatch(timestamp_text) or not _DIGEST.fullmatch(digest):
        raise SignatureInvalid("malformed signature header")
    timestamp = int(timestamp_text)
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        raise SignatureInvalid("stale signature timestamp")
    if not hmac.compare_digest(sign(secret, timestamp, body).encode(), digest.encode()):
        raise SignatureInvalid("signature does not match")
    return timestamp
