"""``scripts/ensure-chromium``: with the browser installed it changes nothing and prints
nothing; the browser it names is one Playwright can drive."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.browser import CHROMIUM

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "ensure-chromium"


def ensure(browser: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT)],
        env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "CROSSDOCK_CHROMIUM": str(browser)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_an_installed_browser_is_left_alone_and_nothing_is_printed() -> None:
    done = ensure(CHROMIUM)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    version = subprocess.run(
        [str(CHROMIUM), "--version"], capture_output=True, text=True, timeout=60, check=True
    )
    assert version.stdout.startswith("Chromium ")
