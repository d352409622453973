"""The emulator's state file over HTTP: what the product created survives a restart."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from backend.cli import main
from backend.kivra_emulator import EmulatorState, Mode, create_emulator_app
from backend.kivra_emulator.operator_client import EmulatorOperator
from backend.kivra_emulator.persistence import StateFileError
from tests.emulator_fixtures import EmulatorHandle, KivraTestClient
from tests.integration.test_emulator_content import SSN, payslip
from tests.support import serve_asgi

CLIENT_ID = "kivra-lon-persist"
CLIENT_SECRET = "persist-secret"
OTHER_SSN = "198112189876"


@contextlib.contextmanager
def running_emulator(
    state_file: Path, mode: Mode = Mode.SANDBOX
) -> Iterator[KivraTestClient]:
    """Serve a new emulator app on `state_file`; stop it (and save) on exit."""
    state = EmulatorState()
    app = create_emulator_app(
        state=state,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        mode=mode,
        state_file=state_file,
    )
    with serve_asgi(app) as base_url:
        operator = EmulatorOperator(base_url)
        handle = EmulatorHandle(base_url, CLIENT_ID, CLIENT_SECRET, operator, state)
        client = KivraTestClient(handle)
        try:
            yield client
            assert client.problems == []
        finally:
            client.close()
            operator.close()


def _wait_for_text(path: Path, text: str) -> None:
    deadline = time.monotonic() + 5
    while not (path.exists() and text in path.read_text()):
        assert time.monotonic() < deadline, f"{text} never reached {path.name}"
        time.sleep(0.05)


def test_emulator_state_file_keeps_the_world_across_a_restart(tmp_path: Path) -> None:
    """Tenants, tokens, clients, recipients, contents and duplicate control return."""
    state_file = tmp_path / "var" / "kivra-emulator.json"
    with running_emulator(state_file, Mode.PRODUCTION) as kivra:
        kivra.handle.operator.seed_client("other-client", "other-secret")
        tenant = kivra.create_tenant()
        kivra.handle.operator.seed_recipient(SSN, "active")
        body = payslip()
        sent = kivra.send(tenant, body)
        assert sent.status_code == 201
        key = sent.headers["kivra-objkey"]
        retained = kivra.send(tenant, payslip(OTHER_SSN))
        assert retained.headers.get("kivra-retained") == "true"
        token = kivra.token
        before = kivra.handle.operator.received(SSN)
        # Written while the emulator still runs, not only when it stops.
        _wait_for_text(state_file, key)

    stored = json.loads(state_file.read_text())
    assert stored["format"] == 1
    assert [t["key"] for t in stored["tenants"]] == [tenant]

    with running_emulator(state_file, Mode.PRODUCTION) as kivra:
        kivra.token = token
        assert kivra.request("GET", f"/v2/tenant/{tenant}").status_code == 200
        assert kivra.handle.operator.received(SSN) == before
        assert kivra.handle.operator.content(key)["body"] == body
        matched = kivra.request(
            "POST", f"/v2/tenant/{tenant}/usermatch/ssn", json={"list": [SSN]}
        )
        assert matched.json() == {"list": [SSN]}
        again = kivra.send(tenant, body)
        assert (again.status_code, again.headers["kivra-objkey"]) == (201, key)
        assert len(kivra.handle.operator.received(SSN)) == 1
        assert kivra.handle.operator.seed_recipient(OTHER_SSN, "active") == 1
        kivra.handle.client_id, kivra.handle.client_secret = (
            "other-client",
            "other-secret",
        )
        assert kivra.authenticate().status_code == 200


def test_emulator_reset_clears_the_state_file(tmp_path: Path) -> None:
    state_file = tmp_path / "kivra-emulator.json"
    with running_emulator(state_file) as kivra:
        kivra.create_tenant()
        kivra.handle.operator.reset()

    with running_emulator(state_file) as kivra:
        assert kivra.handle.operator.tenants() == []
        assert kivra.handle.operator.state()["clients"] == [CLIENT_ID]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ('{"format": 1, "mode": "sand', "truncated"),
        ('{"format": 1, "mode": "sandbox", "tenants": 7}', "Expected `array`"),
    ],
)
def test_emulator_corrupt_state_file_names_the_file(
    tmp_path: Path, content: str, reason: str
) -> None:
    state_file = tmp_path / "kivra-emulator.json"
    state_file.write_text(content)

    with pytest.raises(StateFileError) as raised:
        create_emulator_app(state_file=state_file)
    result = CliRunner().invoke(main, ["emulator", "--state-file", str(state_file)])

    assert raised.value.path == state_file
    assert reason in raised.value.reason
    assert result.exit_code == 1
    assert str(state_file) in result.output
    assert "Traceback" not in result.output
    assert state_file.read_text() == content
