"""The bytes of one response that several requests answer with: made once, sent to each.

A query execution shared by identical requests in flight (``Gateway(share_queries=True)``)
gives every one of them the same response; the first transport that sends it encodes it, and
the others send the same bytes. The bytes are kept with the encoder that made them: another
encoder (another server's size limit) encodes afresh.
"""

from __future__ import annotations

from collections.abc import Callable

from gateway.wire import GraphQLResponse

__all__ = ["SharedBody"]


class SharedBody:
    """The encoding of one shared response, made on the first :meth:`encode`."""

    __slots__ = ("_body", "_encoder", "response")

    def __init__(self, response: GraphQLResponse) -> None:
        self.response = response
        self._encoder: Callable[[GraphQLResponse], bytes] | None = None
        self._body = b""

    def encode(
        self, response: GraphQLResponse, encoder: Callable[[GraphQLResponse], bytes]
    ) -> bytes:
        """``encoder(response)``: the shared bytes when ``response`` is still the shared one
        (its top level copied, nothing added, replaced or taken out), made once per encoder."""
        shared = self.response
        if len(response) != len(shared) or any(
            response.get(key, self) is not value for key, value in shared.items()
        ):
            return encoder(response)
        if self._encoder is not encoder:
            self._body = encoder(self.response)
            self._encoder = encoder
        return self._body
