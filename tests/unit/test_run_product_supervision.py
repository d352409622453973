"""How `make run` keeps its processes together (scripts/supervise.bash).

The supervising part of scripts/run-product runs here with `sleep` standing
in for the emulator, the API and the UI, wired exactly as run-product wires
them: the emulator may stop, the others may not.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EMULATOR, API, UI = "The Kivra emulator", "The API", "The UI"
DRIVER = f"""
set -euo pipefail
. scripts/supervise.bash
trap stop_processes EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
start_process "{EMULATOR}" sleep 60
may_stop "{EMULATOR}" "Start it again with the same state file."
start_process "{API}" sleep 60
start_process "{UI}" sleep 60
for pid in "${{!process_name[@]}}"; do echo "$pid ${{process_name[$pid]}}"; done
echo started
supervise
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A process that has exited but is not yet reaped is not running.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _gone(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.02)
    return False


@contextmanager
def product() -> Iterator[tuple[subprocess.Popen[str], dict[str, int]]]:
    """The supervisor with its three stand-ins; yields it and the pid by name."""
    process = subprocess.Popen(
        ["bash", "-c", DRIVER],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    pids: dict[str, int] = {}
    for line in process.stdout:
        if line.strip() == "started":
            break
        pid, name = line.rstrip("\n").split(" ", 1)
        pids[name] = int(pid)
    try:
        yield process, pids
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=5)


def test_emulator_stopping_leaves_the_api_and_ui_running() -> None:
    with product() as (process, pids):
        assert set(pids) == {EMULATOR, API, UI}
        os.kill(pids[EMULATOR], signal.SIGTERM)
        assert _gone(pids[EMULATOR])
        time.sleep(0.3)
        assert process.poll() is None
        assert _alive(pids[API])
        assert _alive(pids[UI])
        # Then the API stops: the product stops, the UI with it.
        os.kill(pids[API], signal.SIGTERM)
        assert process.wait(timeout=5) == 128 + signal.SIGTERM
        assert _gone(pids[UI])
        assert process.stderr is not None
        said = process.stderr.read()
    assert (
        f"{EMULATOR} stopped (exit status 143). "
        "Start it again with the same state file." in said
    )
    assert f"{API} stopped (exit status 143); stopping the product." in said


def test_ui_stopping_stops_the_product() -> None:
    with product() as (process, pids):
        os.kill(pids[UI], signal.SIGKILL)
        assert process.wait(timeout=5) == 128 + signal.SIGKILL
        assert _gone(pids[API])
        assert _gone(pids[EMULATOR])


def test_sigterm_stops_everything() -> None:
    with product() as (process, pids):
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=5) == 143
        assert all(_gone(pid) for pid in pids.values())
