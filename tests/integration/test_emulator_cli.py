"""`kivra-lon emulator` serves the emulator with the product's demo credentials."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_emulator_command_serves_kivra_with_seeded_demo_client() -> None:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "KIVRA_CLIENT_ID": "cli-demo",
        "KIVRA_CLIENT_SECRET": "cli-secret",
    }
    command = [
        sys.executable,
        "-c",
        "from backend.cli import main; main()",
        "emulator",
        "--port",
        str(port),
        "--mode",
        "production",
    ]
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                state = httpx.get(f"{base}/_emulator/state", timeout=1).json()
                break
            except httpx.TransportError:
                assert process.poll() is None, (
                    process.stderr.read() if process.stderr else ""
                )
                assert time.monotonic() < deadline, "emulator did not start"
                time.sleep(0.1)
        token = httpx.post(
            f"{base}/v1/auth",
            auth=("cli-demo", "cli-secret"),
            data={"grant_type": "client_credentials"},
        )
    finally:
        process.terminate()
        process.communicate(timeout=10)

    assert state["mode"] == "production"
    assert state["clients"] == ["cli-demo"]
    assert token.status_code == 200
    assert token.json()["expires_in"] == 28800
