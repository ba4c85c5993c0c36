"""A command's output read by a reader that stops early (``crossdock plan ... | head``)."""

from __future__ import annotations

import subprocess
import sys

from crossdock.graph import EXAMPLE_QUERY


def test_a_reader_that_hangs_up_early_ends_the_command_quietly() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "crossdock.cli", "plan", EXAMPLE_QUERY],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # the reader is gone before the first line is written
    with process.stderr:
        stderr = process.stderr.read().decode()
    status = process.wait(timeout=60)
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr
    assert stderr == ""
    assert status == 141
