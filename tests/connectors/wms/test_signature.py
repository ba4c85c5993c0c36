"""Webhook signatures: what the WMS signs our check accepts, and every malformed header is
``SignatureInvalid``."""

from __future__ import annotations

import pytest

from connectors.wms.signature import SignatureInvalid, verify
from systems.wms.signing import sign, signature_header

SECRET = "test-webhook-secret"
BODY = b'{"event_id":"wev_1"}'
NOW = 1_740_823_200
DIGEST = sign(SECRET, NOW, BODY)


def test_a_signed_body_verifies_and_gives_its_timestamp() -> None:
    header = signature_header(SECRET, BODY, timestamp=NOW)
    assert header == f"t={NOW},v1={DIGEST}"
    assert verify(SECRET, header, BODY, now=NOW + 10) == NOW
    # Spaces after the commas and unknown fields are tolerated.
    assert verify(SECRET, f"v0=x, t={NOW}, v1={DIGEST}", BODY, now=NOW) == NOW


@pytest.mark.parametrize(
    ("header", "problem"),
    [
        (None, "missing"),
        ("", "missing"),
        ("v1=" + DIGEST, "malformed"),  # no timestamp
        (f"t={NOW}", "malformed"),  # no digest
        (f"t={NOW},v1=", "malformed"),
        ("t=²,v1=" + DIGEST, "malformed"),  # a Unicode digit (str.isdigit says yes)
        ("t=١٢٣,v1=" + DIGEST, "malformed"),  # Arabic-Indic digits (int() accepts them)
        ("t=" + "9" * 5000 + ",v1=" + DIGEST, "malformed"),  # int() refuses over 4300
        ("t=" + "1" * 13 + ",v1=" + DIGEST, "malformed"),
        (f"t=-{NOW},v1={DIGEST}", "malformed"),
        (f"t=+{NOW},v1={DIGEST}", "malformed"),
        (f"t= {NOW} ,v1={DIGEST}", "malformed"),
        (f"t={NOW}\x00,v1={DIGEST}", "malformed"),
        (f"t={NOW},v1=é", "malformed"),  # not ASCII: compare_digest would raise TypeError
        (f"t={NOW},v1={DIGEST[:-1]}é", "malformed"),
        (f"t={NOW},v1={DIGEST.upper()}", "malformed"),
        (f"t={NOW},v1={DIGEST[:-1]}", "malformed"),
        (f"t={NOW},v1={DIGEST}0", "malformed"),
        (f"t={NOW},v1={DIGEST}\x00", "malformed"),
        (f"t={NOW},v1={'0' * 64}", "does not match"),
        (f"t={NOW - 3600},v1={DIGEST}", "stale"),
    ],
)
def test_malformed_or_wrong_headers_are_signature_invalid(header: str | None, problem: str) -> None:
    with pytest.raises(SignatureInvalid, match=problem):
        verify(SECRET, header, BODY, now=NOW)
