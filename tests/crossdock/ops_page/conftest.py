"""A real headless Chromium for the page's tests (tests/support/browser.py)."""

from tests.support.browser import chromium, page

__all__ = ["chromium", "page"]
