"""The WMS's webhook signature, checked: HMAC-SHA256 over ``f"{timestamp}.{body}"``.

The WMS signs every webhook it sends with a secret it shares with us, and the ``wms``
subgraph's intake checks it before anything is published. The signature travels in one
header, ``t=<unix seconds>,v1=<hex digest>``: binding the timestamp into the digest is what
lets the receiver refuse a replayed (stale) request.

The header is parsed strictly: ``t`` is 1 to 12 ASCII digits and ``v1`` 64 lowercase hex
digits; anything else (non-ASCII, Unicode digits, a huge number) is ``SignatureInvalid``,
never another exception.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time

__all__ = ["SIGNATURE_HEADER", "SignatureInvalid", "verify"]

SIGNATURE_HEADER = "X-WMS-Signature"

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_DIGEST = re.compile(r"[0-9a-f]{64}")


class SignatureInvalid(Exception):
    """The request is unsigned, badly signed or stale; the message says which."""


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
    message = timestamp_text.encode() + b"." + body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), digest.encode()):
        raise SignatureInvalid("signature does not match")
    return timestamp
