"""A real headless Chromium for page tests: Debian's ``chromium`` driven by Playwright.

Playwright's own browser downloads are never used (``scripts/ensure-chromium`` installs
Debian's package, as ``scripts/test`` and ``.ci/run`` do). Without the browser a test fails
in CI (``CI=true``) and is skipped elsewhere, saying how to get it. :class:`PageProblems`
collects what a user would see go wrong: failed requests, answers of 400 and more, console
errors and uncaught exceptions. A conftest that imports the fixtures (and lists them in its
``__all__``) gives its tests ``chromium`` and ``page``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Response, sync_playwright

__all__ = ["CHROMIUM", "PageProblems", "chromium", "page"]

CHROMIUM = Path(os.environ.get("CROSSDOCK_CHROMIUM", "/usr/bin/chromium"))


@dataclass
class PageProblems:
    """Everything that went wrong on a page since :meth:`watch`, one line each."""

    lines: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> PageProblems:
        page.on("requestfailed", self._failed)
        page.on("response", self._response)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.lines.append(f"uncaught: {error}"))
        return self

    def _failed(self, request: Request) -> None:
        self.lines.append(f"failed: {request.method} {request.url}: {request.failure}")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.lines.append(f"{response.status}: {response.request.method} {response.url}")

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.lines.append(f"console: {message.text} ({message.location.get('url')})")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    """One headless Chromium for a module's tests.

    Not for the session: Playwright's sync API runs its own event loop on the main thread
    while it is started, and pytest-asyncio's tests elsewhere cannot run their loops beside
    it, so it is stopped when the module's page tests are done."""
    if not CHROMIUM.exists():
        message = f"no Chromium at {CHROMIUM}: bash scripts/ensure-chromium installs Debian's"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        # --no-sandbox: CI and the developers' machines run the tests as root, where
        # Chromium's sandbox refuses to start.
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=["--no-sandbox"]
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Browser) -> Iterator[Page]:
    """A page in a fresh browser context (its own storage), closed after the test."""
    context = chromium.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()
