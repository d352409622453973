"""The move from the old web product: export import, moved answers, notices."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from backend.agreements.gate import record_send
from backend.cli import main
from backend.settings import load_settings
from tests.agreement_fixtures import ActivationWorld
from tests.payroll_fixtures import PERIOD, build_company, client_for

OLD_PERIOD = "2026-10"


def _export(
    orgnr: str, *, deliveries: int = 2, scopes: list[str] | None = None
) -> dict[str, Any]:
    return {
        "format": "vla-kivra-export",
        "version": 1,
        "exported_at": "2026-11-30T12:00:00Z",
        "company": {"orgnr": orgnr, "name": "Flyttbolaget AB"},
        "agreement": {
            "state": "active",
            "terms_version": "VLA-3",
            "scopes": scopes or ["payslips"],
            "approved_at": "2024-02-01T09:00:00Z",
            "approved_by": "Anna Admin",
            "tenant_key": None,
        },
        "deliveries": [
            {
                "period": OLD_PERIOD,
                "personnummer": f"19121212{1212 + index:04d}",
                "name": f"Gammal Person{index}",
                "channel": "kivra" if index % 2 == 0 else "min_lon",
                "outcome": "delivered" if index < 2 else "failed",
                "delivered_at": "2026-10-25T06:00:00Z",
                "reason": "" if index < 2 else "Kivra svarade 40032",
            }
            for index in range(deliveries)
        ],
    }


def test_legacy_import_moves_agreement_history_and_old_pages(
    activation_world: ActivationWorld,
) -> None:
    company = build_company(activation_world.api.session_factory)
    cid = company.company_id
    old = f"/api/legacy/vla/companies/{company.orgnr}/kivra"
    export = _export(company.orgnr, deliveries=3)
    with (
        client_for(activation_world.api, company.admin_email) as admin,
        client_for(activation_world.api, company.clerk_email) as clerk,
    ):
        assert admin.get(f"{old}/agreement").status_code == 404
        url = f"/api/companies/{cid}/legacy/vla-import"
        assert clerk.post(url, json=export).status_code == 403
        imported = admin.post(url, json=export)
        assert imported.status_code == 200, imported.text
        assert imported.json() == {
            "company_id": cid,
            "deliveries": 3,
            "agreement_imported": True,
            "already": False,
        }
        assert admin.post(url, content=json.dumps(export)).status_code == 200
        again = admin.post(url, json=export).json()
        assert again["already"] is True
        changed = admin.post(url, json=_export(company.orgnr, deliveries=1))
        assert changed.status_code == 409

        for page, new in (
            ("agreement", f"/api/companies/{cid}/agreement"),
            ("status", f"/api/companies/{cid}/status"),
        ):
            gone = clerk.get(f"{old}/{page}")
            assert gone.status_code == 410
            assert gone.json()["code"] == "moved"
            assert gone.json()["moved_to"] == new
            assert gone.json()["detail"] == "Sidan har flyttat till löneprogrammet."
            dashed = f"{company.orgnr[:6]}-{company.orgnr[6:]}"
            same = clerk.get(f"/api/legacy/vla/companies/{dashed}/kivra/{page}")
            assert same.status_code == 410
            assert same.json()["moved_to"] == new
        bad_check_digit = company.orgnr[:9] + str((int(company.orgnr[9]) + 1) % 10)
        invalid = clerk.get(f"/api/legacy/vla/companies/{bad_check_digit}/kivra/status")
        assert invalid.status_code == 422
        assert invalid.json()["title"] == "Organisationsnumret är ogiltigt."

        agreement = clerk.get(f"/api/companies/{cid}/agreement").json()
        assert agreement["state"] == "active"
        assert agreement["entry_point"] == "vla_import"
        assert agreement["history"][0]["kind"] == "imported_from_vla"

        status = clerk.get(f"/api/companies/{cid}/status", params={"month": OLD_PERIOD})
        body = status.json()
        assert [row["source"] for row in body["rows"]] == ["vla"] * 3
        assert all(
            re.fullmatch(r"\d{8}-\*{4}", row["personnummer"]) for row in body["rows"]
        )
        assert "191212121212" not in status.text
        assert [f["reason"] for f in body["failures"]] == ["Kivra svarade 40032"]
        assert body["notice_sv"]


def test_legacy_first_send_tells_each_user_once(
    activation_world: ActivationWorld,
) -> None:
    company = build_company(activation_world.api.session_factory)
    cid = company.company_id
    with (
        client_for(activation_world.api, company.admin_email) as admin,
        client_for(activation_world.api, company.clerk_email) as clerk,
    ):
        admin.post(
            f"/api/companies/{cid}/legacy/vla-import", json=_export(company.orgnr)
        )
        assert admin.get("/api/notifications").json() == {"items": [], "unread": 0}
        sent = clerk.post(
            f"/api/companies/{cid}/payroll-runs/{PERIOD}/send", json={"mode": "now"}
        )
        assert sent.status_code == 202, sent.text
        with activation_world.api.session_factory.begin() as session:
            record_send(session, cid)

        for client in (admin, clerk):
            notices = client.get("/api/notifications").json()
            assert notices["unread"] == 1
            (notice,) = notices["items"]
            assert notice["kind"] == "status_page_moved"
            assert notice["link"] == f"/api/companies/{cid}/status"
            assert "här i löneprogrammet," in notice["body_sv"]

        notice_id = admin.get("/api/notifications").json()["items"][0]["id"]
        assert clerk.post(f"/api/notifications/{notice_id}/read").status_code == 404
        read = admin.post(f"/api/notifications/{notice_id}/read")
        assert read.json()["read"] is True
        assert admin.get("/api/notifications").json()["unread"] == 0
        assert clerk.get("/api/notifications").json()["unread"] == 1


def test_legacy_import_vla_command_reads_the_export_file(
    activation_world: ActivationWorld,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    company = build_company(activation_world.api.session_factory, with_run=False)
    path = tmp_path / "vla-export.json"
    path.write_text(json.dumps(_export(company.orgnr)), encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", activation_world.api.settings.database_url)
    load_settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["import-vla", str(path)])
        again = CliRunner().invoke(main, ["import-vla", str(path)])
    finally:
        load_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert f"Företag {company.company_id}: 2 leveranser inlästa" in result.output
    assert "redan inläst" in again.output
    with client_for(activation_world.api, company.admin_email) as admin:
        gone = admin.get(f"/api/legacy/vla/companies/{company.orgnr}/kivra/status")
    assert gone.status_code == 410
