"""Browsers at the front door: their settings, and where each control applies.

- CORS (:mod:`gateway.server._cors`) wraps the whole app: preflights are answered before any
  route, and every answer, refusals included, carries the ``Access-Control-*`` headers an
  allowed page needs to read it.
- The Origin check (:mod:`gateway.server._origin`) runs on every WebSocket upgrade and every
  event stream (``Accept: text/event-stream``) before anything else.
- CSRF prevention (:mod:`gateway.server._csrf`) runs on every GraphQL request over HTTP, POST
  and GET, event streams included, before its body is read; the GraphiQL page (a GET for
  ``text/html`` without ``query``) is a page, not a request, and is not checked.

One list of origins serves all three: a portal allowed to call the graph may also subscribe.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from gateway.server._cors import GatewayCORSMiddleware
from gateway.server._csrf import APOLLO_PREFLIGHT_HEADERS, Csrf
from gateway.server._origin import LOOPBACK_HOSTS, OriginPolicy, normalize_origin

__all__ = ["BrowserSettings", "Browsers"]


class BrowserSettings(BaseModel):
    """What web pages may do (``CROSSDOCK_GATEWAY__BROWSERS__*``); see
    ``docs/browsers-and-rate-limits.md``."""

    # Durations, rates and sizes must be finite: ``inf`` would pass and break requests.
    model_config = ConfigDict(allow_inf_nan=False)

    allow_origins: list[str] = Field(
        default_factory=list,
        description="origins whose pages may use the graph (https://portal.example): CORS answers"
        ' them and their WebSockets and event streams are let in. "*": every origin. '
        "The gateway's own origin (GraphiQL) needs no entry",
    )
    allow_origin_regex: str | None = Field(
        default=None,
        description="beside them, origins matching this regular expression in full "
        "(https://[a-z0-9-]+\\.portal\\.example)",
    )
    own_hosts: list[str] = Field(
        default_factory=lambda: list(LOOPBACK_HOSTS),
        description="the host names the gateway is reached by, under which a page of its own "
        "origin (GraphiQL) is its own: a page of another name pointing at this address (DNS "
        'rebinding) is foreign. Add the name behind which it is served; "*": any',
        examples=[["graph.example.com"]],
    )
    allow_credentials: bool = Field(
        default=False,
        description="whether pages may send cookies and HTTP authentication (credentials: "
        '"include")',
    )
    allow_headers: list[str] = Field(
        default_factory=lambda: ["*"],
        description='request headers a page may send; "*": whatever its preflight asks for',
    )
    expose_headers: list[str] = Field(
        default_factory=lambda: ["Retry-After"],
        description="response headers a page may read beyond the safelisted ones (a 429's Retry-"
        "After)",
    )
    allow_methods: list[str] = Field(default_factory=lambda: ["GET", "POST"])
    max_age: int = Field(
        default=600,
        ge=0,
        description="seconds a browser may cache a preflight's answer",
    )
    csrf_required_headers: list[str] = Field(
        default_factory=lambda: list(APOLLO_PREFLIGHT_HEADERS),
        description="a GraphQL request over HTTP with no or a simple content type must carry one "
        "of these",
    )
    csrf_unsafe_disabled: bool = Field(
        default=False,
        description="true turns CSRF prevention off (Apollo Router's unsafe_disabled): any page "
        "can then make a browser run queries and (with form posts, were they "
        "accepted) more",
    )

    @field_validator("allow_origins")
    @classmethod
    def _origins(cls, origins: list[str]) -> list[str]:
        return [normalize_origin(origin) for origin in origins]

    @field_validator("allow_origin_regex")
    @classmethod
    def _regex(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as error:
                raise ValueError(f"{pattern!r} is not a regular expression: {error}") from None
        return pattern

    @model_validator(mode="after")
    def _credentials_name_their_origins(self) -> BrowserSettings:
        # A browser refuses a credentialed answer to ``*``; Starlette would echo any origin
        # instead, which hands every site the user's cookies' worth of access.
        if self.allow_credentials and "*" in self.allow_origins:
            raise ValueError(
                'allow_credentials cannot be used with allow_origins ["*"]: '
                "list the origins that may send credentials"
            )
        if self.allow_credentials and "*" in self.expose_headers:
            raise ValueError(
                'allow_credentials cannot be used with expose_headers ["*"]: '
                "with credentials a browser reads * as a header name; list the headers"
            )
        return self


class Browsers:
    """The browser controls of one app, built once from its settings."""

    def __init__(self, settings: BrowserSettings) -> None:
        self.settings = settings
        self.origins = OriginPolicy(
            settings.allow_origins, settings.allow_origin_regex, settings.own_hosts
        )
        self.csrf = None if settings.csrf_unsafe_disabled else Csrf(settings.csrf_required_headers)

    def middleware(self) -> Middleware:
        """CORS, for ``Starlette(middleware=[...])``."""
        settings = self.settings
        return Middleware(
            GatewayCORSMiddleware,
            policy=self.origins,
            allow_methods=settings.allow_methods,
            allow_headers=settings.allow_headers,
            expose_headers=settings.expose_headers,
            allow_credentials=settings.allow_credentials,
            max_age=settings.max_age,
        )

    def admit(self, request: Request) -> Response | None:
        """``None`` when a GraphQL request over HTTP may go on; else the answer refusing it."""
        headers = request.headers
        # Every transport: after DNS rebinding a foreign page's requests look same-origin to
        # the browser, which then sends JSON without asking CORS first (gateway.server._origin).
        origin = headers.get("origin")
        if not self.origins.allows(origin, headers.get("host")):
            assert origin is not None
            return self.origins.refusal(origin)
        if self.csrf is not None and not self.csrf.preflighted(headers):
            return self.csrf.refusal()
        return None

    async def admit_websocket(self, websocket: WebSocket) -> bool:
        """Whether the upgrade may go on; if not, it was rejected with 403."""
        return await self.origins.admit_websocket(websocket)
