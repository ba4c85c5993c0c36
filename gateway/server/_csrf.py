"""CSRF prevention as Apollo Router does it: every GraphQL request over HTTP must be one a
browser would have preflighted.

A page on another origin can make a browser send a "simple" request (a form post, an image's
GET, ``fetch`` in ``no-cors`` mode) without asking the server first; CORS only stops the page
from reading the answer, not the operation from running (a side effect, or a timing leak).
A request is let through only when a browser would have sent a CORS preflight for it first:
its ``Content-Type`` is not one of the three a page may send unasked, or it carries one of
the configured headers, which a page can only add through a preflighted ``fetch``.

Refused, answered 400 before the body is read::

    CSRF_ERROR   a request with no, or a simple, content type and none of the required headers
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import orjson
from starlette.datastructures import Headers
from starlette.responses import Response

from gateway.server._http import error_body

__all__ = ["APOLLO_PREFLIGHT_HEADERS", "CSRF_ERROR", "SIMPLE_CONTENT_TYPES", "Csrf"]

CSRF_ERROR = "CSRF_ERROR"
# Apollo's: Apollo iOS and Kotlin send the first with every operation; any client may send the
# second (``apollo-require-preflight: true``).
APOLLO_PREFLIGHT_HEADERS = ("x-apollo-operation-name", "apollo-require-preflight")
# The content types a page may send without a preflight (the Fetch standard's CORS-safelisted
# ``Content-Type`` values).
SIMPLE_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
# ``type/subtype`` in RFC 9110's token characters, then optional parameters.
_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MIME = re.compile(rf"\s*({_TOKEN}/{_TOKEN})\s*(?:;.*)?", re.DOTALL)


def _content_type_requires_preflight(headers: Headers) -> bool:
    values = headers.getlist("content-type")
    if not values:
        return False
    # Several values, or one that does not parse: a browser may have parsed it otherwise, so
    # as Apollo Router does, it proves nothing.
    match = _MIME.fullmatch(values[0]) if len(values) == 1 and "," not in values[0] else None
    return match is not None and match[1].lower() not in SIMPLE_CONTENT_TYPES


class Csrf:
    """Checks requests against the headers that prove a preflight (``required_headers``)."""

    def __init__(self, required_headers: Iterable[str] = APOLLO_PREFLIGHT_HEADERS) -> None:
        self.required_headers = tuple(h.lower() for h in required_headers)
        names = ", ".join(self.required_headers) or "(none configured)"
        message = (
            "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). "
            "Please either specify a 'content-type' header (with a mime-type that is not one of "
            f"{', '.join(sorted(SIMPLE_CONTENT_TYPES))}) or provide one of the following "
            f"headers: {names}"
        )
        # Built once: a refusal costs a header lookup and a send.
        self._refusal = orjson.dumps(error_body(message, CSRF_ERROR))

    def preflighted(self, headers: Headers) -> bool:
        """Whether a browser would have preflighted a request with these headers."""
        # Presence is enough, as in Apollo Router: a page cannot add even an empty custom
        # header without a preflight.
        return _content_type_requires_preflight(headers) or any(
            name in headers for name in self.required_headers
        )

    def refusal(self) -> Response:
        return Response(self._refusal, status_code=400, media_type="application/json")
