"""Unit tests of activation's pure parts: months, export format, card states."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import get_args

import msgspec
import pytest

from backend.agreements.gate import SendGate, activation_offer, gate_for
from backend.agreements.models import KivraActivation
from backend.agreements.service import card_state
from backend.agreements.status import previous_month
from backend.legacy.export_format import decode_export
from frontend.pages.more_solutions_view import _STATE_BADGES
from frontend.pages.start import _CARD_TEXT
from shared_types.agreements import CardState


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 12, 4, 12, 0, tzinfo=UTC), "2026-11"),
        (datetime(2026, 1, 15, 12, 0, tzinfo=UTC), "2025-12"),
        # 23:30 UTC on 31 January is already 1 February in Stockholm.
        (datetime(2026, 1, 31, 23, 30, tzinfo=UTC), "2026-01"),
        (datetime(2026, 1, 31, 22, 30, tzinfo=UTC), "2025-12"),
    ],
)
def test_agreement_status_default_month_is_last_month_in_stockholm(
    now: datetime, expected: str
) -> None:
    assert previous_month(now) == expected


def _activation(**fields: object) -> KivraActivation:
    values: dict[str, object] = {
        "company_id": 1,
        "state": "active",
        "terms_version": "2026-1",
        "scopes": ["payslips"],
        "entry_point": "fler_losningar",
        "tenant_state": "active",
        "tenant_key": "1424780396902ee9278b16417f8e3252c3ced28c38",
    }
    values.update(fields)
    return KivraActivation(**values)


@pytest.mark.parametrize(
    ("fields", "gate", "card"),
    [
        (
            {},
            SendGate(
                False,
                True,
                "1424780396902ee9278b16417f8e3252c3ced28c38",
                "kivra_active",
            ),
            "active",
        ),
        ({"state": "ended"}, SendGate(False, False, None, "agreement_ended"), "ended"),
        (
            {"scopes": ["invoices"]},
            SendGate(False, False, None, "payslips_not_in_scope"),
            "active",
        ),
        (
            {"tenant_state": "pending_access", "tenant_key": None},
            SendGate(
                False, False, None, "kivra_access_pending", waiting_for_kivra=True
            ),
            "waiting_for_kivra",
        ),
        (
            {"tenant_state": "rejected", "tenant_key": None},
            SendGate(False, False, None, "kivra_access_rejected"),
            "not_active",
        ),
        (
            {"tenant_state": "none", "tenant_key": None},
            SendGate(
                False, False, None, "kivra_tenant_missing", waiting_for_kivra=True
            ),
            "kivra_unreachable",
        ),
    ],
)
def test_agreement_gate_and_card_follow_the_activation(
    fields: dict[str, object], gate: SendGate, card: str
) -> None:
    activation = _activation(**fields)
    assert gate_for(activation) == gate
    assert card_state(activation) == card


def test_agreement_card_is_not_active_without_activation() -> None:
    assert card_state(None) == "not_active"


def test_agreement_offer_has_both_languages_and_the_current_terms() -> None:
    offer = activation_offer(7)
    assert offer.text_sv != offer.text_en
    assert offer.approve_url == "/api/companies/7/agreement/approve"


def _export(**changes: object) -> bytes:
    export: dict[str, object] = {
        "format": "vla-kivra-export",
        "version": 1,
        "exported_at": "2026-11-30T12:00:00Z",
        "company": {"orgnr": "5560000001", "name": "Flyttbolaget AB"},
        "agreement": None,
        "deliveries": [
            {
                "period": "2026-10",
                "personnummer": "191212121212",
                "channel": "kivra",
                "outcome": "delivered",
                "delivered_at": "2026-10-25T06:00:00Z",
            }
        ],
    }
    export.update(changes)
    return json.dumps(export).encode()


def test_agreement_vla_export_decodes() -> None:
    export = decode_export(_export())
    assert export.company.orgnr == "5560000001"
    assert export.deliveries[0].channel == "kivra"


@pytest.mark.parametrize(
    "changes",
    [
        {"format": "something-else"},
        {"version": 2},
        {"company": {"orgnr": "556000-0001", "name": "X"}},
        {"unexpected": True},
        {
            "deliveries": [
                {
                    "period": "2026-13",
                    "personnummer": "1",
                    "channel": "kivra",
                    "outcome": "delivered",
                    "delivered_at": "2026-10-25T06:00:00Z",
                }
            ]
        },
    ],
)
def test_agreement_vla_export_refuses_wrong_files(changes: dict[str, object]) -> None:
    with pytest.raises(msgspec.ValidationError):
        decode_export(_export(**changes))


def test_agreement_every_card_state_has_a_label_in_the_ui() -> None:
    """A card state the UI has no label for shows as a bare dash."""
    states = set(get_args(CardState))
    assert states == set(_STATE_BADGES) == set(_CARD_TEXT)
