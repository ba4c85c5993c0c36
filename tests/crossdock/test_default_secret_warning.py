"""A non-loopback bind with the public dev webhook secret is warned about at start-up."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from crossdock.cli import default_secret_warning
from crossdock.runner import GRACEFUL_SHUTDOWN_SECONDS
from crossdock.settings import Settings, WmsLifecycle
from tests.support.ports import reserve_port
from tests.support.servers import wait_until


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "10.1.2.3", "fe80::1", "wms.example"])
def test_a_reachable_bind_with_the_default_secret_is_warned_about(host: str) -> None:
    warning = default_secret_warning(Settings(host=host))
    assert warning is not None
    assert "default WMS webhook secret" in warning
    assert "CROSSDOCK_WMS_LIFECYCLE__WEBHOOK_SECRET" in warning


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_a_loopback_bind_is_not_warned_about(host: str) -> None:
    assert default_secret_warning(Settings(host=host)) is None


def test_a_secret_of_ones_own_is_not_warned_about() -> None:
    lifecycle = WmsLifecycle(webhook_secret="s3cret-of-my-own")
    assert default_secret_warning(Settings(host="0.0.0.0", wms_lifecycle=lifecycle)) is None


def _accepts(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_system_wms_on_every_interface_warns_at_start_up(data_dir: Path) -> None:
    port = reserve_port()
    env = {**os.environ, "CROSSDOCK_DATA_DIR": str(data_dir), "CROSSDOCK_HOST": "0.0.0.0"}
    env.pop("CROSSDOCK_WMS_LIFECYCLE__WEBHOOK_SECRET", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "crossdock.cli", "system", "wms", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(lambda: proc.poll() is not None or _accepts(port), timeout=30)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=GRACEFUL_SHUTDOWN_SECONDS + 10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "WARNING: listening on 0.0.0.0 with the default WMS webhook secret" in err
