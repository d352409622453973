"""The "Fler lösningar" panel: agreement phases and scope toggles, free of Reflex."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from frontend.formatting import local_time
from shared_types.agreements import Agreement

SCOPES = ("payslips", "invoices")


class AgreementPhase(StrEnum):
    """Where the panel is."""

    LOADING = "loading"
    READY = "ready"
    SAVING = "saving"
    FAILED = "failed"


@dataclass(frozen=True)
class HistoryEntry:
    """One event of the agreement's history, as the panel lists it."""

    when: str
    kind_sv: str
    kind_en: str
    who: str
    scopes: str
    scopes_en: str = ""


_KINDS: dict[str, tuple[str, str]] = {
    "approved": ("Godkänt", "Approved"),
    "scopes_changed": ("Omfattning ändrad", "Scope changed"),
    "ended": ("Avslutat", "Ended"),
    "imported": ("Flyttat från tidigare tjänst", "Moved from the earlier service"),
    "tenant_active": ("Godkänt av Kivra", "Approved by Kivra"),
    "access_requested": ("Anslutning begärd hos Kivra", "Access requested from Kivra"),
    "access_granted": ("Kivra godkände anslutningen", "Kivra granted access"),
    "access_rejected": ("Kivra nekade anslutningen", "Kivra rejected access"),
    "tenant_created": (
        "Avsändarkonto skapat hos Kivra",
        "Sender account created at Kivra",
    ),
    "first_send": ("Första utskicket", "First send"),
    "imported_from_vla": (
        "Flyttat från tidigare tjänst",
        "Moved from the earlier service",
    ),
}
_SCOPE_NAMES = {
    "payslips": ("lönebesked", "payslips"),
    "invoices": ("fakturor", "invoices"),
}


def toggle_scope(scopes: list[str], scope: str, *, on: bool) -> list[str]:
    """The scopes after switching `scope` on or off, in a stable order."""
    chosen = set(scopes)
    if on:
        chosen.add(scope)
    else:
        chosen.discard(scope)
    return [s for s in SCOPES if s in chosen]


def can_change_scopes(agreement: Agreement) -> bool:
    """Only an admin, and only while the agreement is active."""
    return agreement.can_manage and agreement.state == "active"


def begin_save(phase: AgreementPhase) -> AgreementPhase:
    return AgreementPhase.SAVING if phase == AgreementPhase.READY else phase


def history(agreement: Agreement) -> list[HistoryEntry]:
    """The agreement's events, newest first, labelled."""
    return [
        HistoryEntry(
            when=local_time(event.created_at),
            kind_sv=_KINDS.get(event.kind, (event.kind, event.kind))[0],
            kind_en=_KINDS.get(event.kind, (event.kind, event.kind))[1],
            who=event.user_name or "",
            scopes=", ".join(_SCOPE_NAMES.get(s, (s, s))[0] for s in event.scopes),
            scopes_en=", ".join(_SCOPE_NAMES.get(s, (s, s))[1] for s in event.scopes),
        )
        for event in reversed(agreement.history)
    ]
