"""``http1``: one lean keep-alive HTTP/1.1 client, shared by the gateway (its subgraph fetches,
``gateway/executor/_http.py``) and the graph (its system calls, ``connectors/http.py``).

Both send many small requests a second to a handful of servers. httpx spent more CPU per
request than either's own work on it (its pool polls every idle connection's socket on each
request, and a request passes through several layers of objects), so they use this instead:
an ``asyncio.Protocol`` per connection (``TCP_NODELAY``), httptools (uvicorn's parser) for
responses, and a LIFO list of idle connections per :class:`Origin`. No proxies, no HTTP/2, no
compression; https with the default certificate checks. It imports none of our packages. (Not
``bench/http1.py``: the load generators' POST client, cheaper still, that knows only
``content-length`` answers from our own servers.)

A connection is reused only when it is exactly between two messages: interim ``1xx``
responses (``100 Continue``, ``103 Early Hints``) are skipped while the final one is awaited,
and a connection is closed, never reused, when bytes arrive while no request is waiting on it
(a server's ``408`` on an idle connection) or when anything follows the response it owes;
otherwise those bytes would be read as the answer to the next request. A connection the server
closed is seen at once (``connection_lost``), with no poll per request; an idle one can be
given up after ``keepalive_expiry`` (before the server would close it under a request), and a
request that finds a kept-alive connection closed under it can go again once (``retry``).

The size limit holds for every framing (length, chunks, end of connection) as the body
arrives, and a declared length over it fails the request before its body is read. Time
bounds are the caller's (an ``asyncio.timeout`` around the request), or a connect timeout and
a read timeout of the origin's.

Errors, all raised as :class:`HttpError` subclasses with the cause chained::

    HttpError
    ├── BadUrl               the URL or a request target cannot be used (scheme, host, port;
    │                        not printable ASCII, a space)
    ├── ConnectFailed        no connection could be opened (refused, unknown host, timeout)
    └── ReadFailed           the connection broke, timed out or sent something that is not HTTP;
        │                    ``answered`` says whether any byte of a response had come
        └── ResponseTooLarge a response body over the size limit
"""

from http1._origin import DEFAULT_MAX_RESPONSE_BYTES, Origin, header_lines
from http1._response import (
    BadUrl,
    ConnectFailed,
    HttpError,
    ReadFailed,
    Response,
    ResponseTooLarge,
)

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "BadUrl",
    "ConnectFailed",
    "HttpError",
    "Origin",
    "ReadFailed",
    "Response",
    "ResponseTooLarge",
    "header_lines",
]
