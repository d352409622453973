"""The "Fler lösningar" panel's scope switches and history."""

from __future__ import annotations

from datetime import UTC, datetime

from frontend import agreement_logic
from shared_types.agreements import Agreement, AgreementEventView, AgreementTerms


def make_agreement(*, can_manage: bool, state: str = "active") -> Agreement:
    return Agreement(
        company_id=1,
        state=state,  # type: ignore[arg-type]
        terms=AgreementTerms(
            version="2026-1",
            title_sv="Villkor",
            title_en="Terms",
            text_sv="…",
            text_en="…",
        ),
        approved_version="2026-1",
        scopes=["payslips"],
        entry_point="fler_losningar",
        approved_at=datetime(2026, 11, 1, tzinfo=UTC),
        approved_by_user_id=1,
        ended_at=None,
        card_state="active",
        can_manage=can_manage,
        history=[
            AgreementEventView(
                id=1,
                kind="approved",
                terms_version="2026-1",
                scopes=["payslips", "invoices"],
                entry_point="fler_losningar",
                user_id=1,
                user_name="Ada Admin",
                detail={},
                created_at=datetime(2026, 11, 1, tzinfo=UTC),
            ),
            AgreementEventView(
                id=2,
                kind="scopes_changed",
                terms_version="2026-1",
                scopes=["payslips"],
                entry_point=None,
                user_id=1,
                user_name="Ada Admin",
                detail={},
                created_at=datetime(2026, 11, 2, tzinfo=UTC),
            ),
        ],
    )


def test_toggle_scope_keeps_stable_order() -> None:
    assert agreement_logic.toggle_scope(["invoices"], "payslips", on=True) == [
        "payslips",
        "invoices",
    ]
    assert agreement_logic.toggle_scope(
        ["payslips", "invoices"], "payslips", on=False
    ) == ["invoices"]
    assert agreement_logic.toggle_scope(["payslips"], "payslips", on=True) == [
        "payslips"
    ]


def test_only_admin_with_active_agreement_changes_scopes() -> None:
    assert agreement_logic.can_change_scopes(make_agreement(can_manage=True))
    assert not agreement_logic.can_change_scopes(make_agreement(can_manage=False))
    assert not agreement_logic.can_change_scopes(
        make_agreement(can_manage=True, state="ended")
    )


def test_history_newest_first_with_labels() -> None:
    entries = agreement_logic.history(make_agreement(can_manage=True))
    assert [e.kind_sv for e in entries] == ["Omfattning ändrad", "Godkänt"]
    assert entries[1].scopes == "lönebesked, fakturor"
    assert entries[1].scopes_en == "payslips, invoices"


def test_history_labels_kivra_events_and_shows_stockholm_time() -> None:
    agreement = make_agreement(can_manage=True)
    for kind in ("tenant_created", "first_send"):
        agreement.history.append(
            AgreementEventView(
                id=3,
                kind=kind,
                terms_version="2026-1",
                scopes=[],
                entry_point=None,
                user_id=None,
                user_name=None,
                detail={},
                created_at=datetime(2026, 12, 4, 16, 41, tzinfo=UTC),
            )
        )
    first_send, tenant = agreement_logic.history(agreement)[:2]
    assert (first_send.kind_sv, first_send.kind_en) == (
        "Första utskicket",
        "First send",
    )
    assert tenant.kind_en == "Sender account created at Kivra"
    # 16:41 UTC is 17:41 in Stockholm in December.
    assert first_send.when == "2026-12-04 17:41"
