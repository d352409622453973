"""The agreement: approve, change scopes, end, and the views built on it.

Rules that are easy to miss:
- Admins approve from either entry point with any scopes. A payroll clerk
  may approve only from the payroll run ("Skicka och bokför till
  verifikation") and only for payslips, so that a held send can proceed;
  scope changes and ending the agreement are for admins only.
- A sole trader without an organisation number cannot get a Kivra tenant, so
  approval answers 422 before anything is recorded.
- Every approval, scope change and termination appends an `AgreementEvent`;
  nothing here updates or deletes one.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.agreements import terms
from backend.agreements.models import (
    AGREEMENT_ACTIVE,
    AGREEMENT_ENDED,
    ENTRY_PAYROLL_RUN,
    SCOPE_PAYSLIPS,
    SCOPES,
    TENANT_ACTIVE,
    TENANT_PENDING,
    TENANT_REJECTED,
    AgreementEvent,
    KivraActivation,
)
from backend.auth.models import User
from backend.auth.service import CurrentUser
from backend.db.base import utcnow
from backend.errors import AppError, ConflictError, ForbiddenError, InvalidInputError
from backend.payroll.models import Company
from backend.payroll.service import parse_period
from shared_types.agreements import (
    Agreement,
    AgreementEventView,
    AgreementTerms,
    CardState,
    KivraButton,
    KivraCard,
)


class OrgnrRequiredError(AppError):
    """Kivra needs an organisation number; a sole trader without one has none."""

    status_code = 422
    code = "orgnr_required"


def get_activation(session: Session, company_id: int) -> KivraActivation | None:
    return session.scalar(
        select(KivraActivation).where(KivraActivation.company_id == company_id)
    )


def _clean_scopes(scopes: list[str]) -> list[str]:
    chosen = [scope for scope in SCOPES if scope in scopes]
    if not chosen:
        raise InvalidInputError(
            "Välj lönebesked, fakturor eller båda.",
            "Choose payslips, invoices or both.",
            details=[{"field": "scopes"}],
        )
    return chosen


def _only_admin(user: CurrentUser, what_sv: str, what_en: str) -> None:
    if not user.is_admin:
        raise ForbiddenError(
            f"Bara en administratör kan {what_sv}.",
            f"Only an administrator can {what_en}.",
        )


def approve_agreement(
    session: Session,
    company: Company,
    user: CurrentUser | None,
    *,
    terms_version: str,
    scopes: list[str],
    entry_point: str,
) -> KivraActivation:
    """Record the approval of the current terms; the tenant is set up after.

    `user` is None for an operator on the command line (`kivra-lon
    approve-agreement`), who has no user account and acts as an admin.

    Raises:
        OrgnrRequiredError: for a company without an organisation number.
        ConflictError: when the terms shown are not the current ones.
        ForbiddenError: when a payroll clerk asks for more than payslips
            from the payroll run.
    """
    chosen = _clean_scopes(scopes)
    if (
        user is not None
        and not user.is_admin
        and (entry_point != ENTRY_PAYROLL_RUN or chosen != [SCOPE_PAYSLIPS])
    ):
        _only_admin(
            user,
            "godkänna fakturor eller godkänna avtalet från Fler lösningar",
            "approve invoices or approve the agreement from More solutions",
        )
    if company.orgnr is None:
        raise OrgnrRequiredError(
            "Kivra kräver ett organisationsnummer. Enskild firma utan "
            "organisationsnummer kan inte aktivera Kivra; lönebeskeden skickas "
            "till Min lön. Registrera ett organisationsnummer hos Bolagsverket "
            "och lägg in det under Företagsuppgifter för att aktivera Kivra.",
            "Kivra requires an organisation number. A sole trader without one "
            "cannot activate Kivra; payslips go to Min lön. Register an "
            "organisation number with Bolagsverket and enter it under Company "
            "details to activate Kivra.",
        )
    if terms_version != terms.CURRENT.version:
        raise ConflictError(
            "Avtalsvillkoren har uppdaterats. Läs den nya versionen och godkänn igen.",
            "The terms have been updated. Read the new version and approve again.",
            extra={"current_version": terms.CURRENT.version},
        )
    _claim_company(session, company.id)
    activation = get_activation(session, company.id)
    if (
        activation is not None
        and activation.state == AGREEMENT_ACTIVE
        and activation.terms_version == terms_version
    ):
        # Already approved: a repeat (a double click, a second held send)
        # records nothing new. Scopes it asks for that the agreement lacks
        # are added; approving never removes a scope (a clerk approving
        # payslips must not drop invoices), that is `change_scopes`.
        wanted = [s for s in SCOPES if s in activation.scopes or s in chosen]
        if wanted != activation.scopes:
            _record_scopes(session, activation, user, wanted)
        session.flush()
        return activation
    now = utcnow()
    if activation is None:
        activation = KivraActivation(company_id=company.id, tenant_state="none")
        session.add(activation)
    activation.state = AGREEMENT_ACTIVE
    activation.terms_version = terms_version
    activation.scopes = chosen
    activation.entry_point = entry_point
    activation.approved_by_user_id = user.id if user else None
    activation.approved_at = now
    activation.ended_at = None
    session.add(
        AgreementEvent(
            company_id=company.id,
            kind="approved",
            terms_version=terms_version,
            scopes=chosen,
            entry_point=entry_point,
            user_id=user.id if user else None,
            detail={},
        )
    )
    session.flush()
    return activation


def change_scopes(
    session: Session, company_id: int, user: CurrentUser, scopes: list[str]
) -> KivraActivation:
    """Let an admin change what the active agreement covers."""
    _only_admin(user, "ändra vad avtalet omfattar", "change what the agreement covers")
    chosen = _clean_scopes(scopes)
    activation = get_activation(session, company_id)
    if activation is None or activation.state != AGREEMENT_ACTIVE:
        raise ConflictError(
            "Avtalet är inte godkänt. Godkänn det först.",
            "The agreement is not approved. Approve it first.",
        )
    if chosen != activation.scopes:
        _record_scopes(session, activation, user, chosen)
    session.flush()
    return activation


def _record_scopes(
    session: Session,
    activation: KivraActivation,
    user: CurrentUser | None,
    scopes: list[str],
) -> None:
    session.add(
        AgreementEvent(
            company_id=activation.company_id,
            kind="scopes_changed",
            terms_version=activation.terms_version,
            scopes=scopes,
            user_id=user.id if user else None,
            detail={"previous": ",".join(activation.scopes)},
        )
    )
    activation.scopes = scopes


def _claim_company(session: Session, company_id: int) -> None:
    """Make concurrent approvals of one company wait for each other.

    PostgreSQL locks the company's row until commit. SQLite takes the
    database's write lock before reading (BEGIN IMMEDIATE), unless this
    transaction already holds it, so the second approval reads the first's
    result instead of approving again.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if raw is not None and not raw.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        return
    session.execute(
        select(Company.id).where(Company.id == company_id).with_for_update()
    )


def end_agreement(
    session: Session, company_id: int, user: CurrentUser
) -> KivraActivation:
    """Let an admin end the use of Kivra; history and deliveries stay."""
    _only_admin(user, "avsluta användningen av Kivra", "end the use of Kivra")
    activation = get_activation(session, company_id)
    if activation is None or activation.state != AGREEMENT_ACTIVE:
        raise ConflictError(
            "Det finns inget aktivt avtal att avsluta.",
            "There is no active agreement to end.",
        )
    activation.state = AGREEMENT_ENDED
    activation.ended_at = utcnow()
    session.add(
        AgreementEvent(
            company_id=company_id,
            kind="ended",
            terms_version=activation.terms_version,
            scopes=list(activation.scopes),
            user_id=user.id,
            detail={},
        )
    )
    session.flush()
    return activation


def card_state(activation: KivraActivation | None) -> CardState:
    """The "Fler lösningar" card's state for an activation."""
    if activation is None:
        return "not_active"
    if activation.state == AGREEMENT_ENDED:
        return "ended"
    if activation.tenant_state == TENANT_ACTIVE and activation.tenant_key:
        return "active"
    if activation.tenant_state == TENANT_REJECTED:
        return "not_active"
    if activation.tenant_state == TENANT_PENDING:
        return "waiting_for_kivra"
    # Approved, but Kivra has not answered yet (down or too slow): no access
    # request is pending, the next read, send or worker round tries again.
    return "kivra_unreachable"


def agreement_view(session: Session, company_id: int, user: CurrentUser) -> Agreement:
    """The agreement page: terms, state, scopes and the whole history."""
    activation = get_activation(session, company_id)
    events = session.scalars(
        select(AgreementEvent)
        .where(AgreementEvent.company_id == company_id)
        .order_by(AgreementEvent.created_at, AgreementEvent.id)
    ).all()
    user_ids = {event.user_id for event in events if event.user_id is not None}
    names: dict[int, str] = {}
    if user_ids:
        rows = session.execute(select(User.id, User.name).where(User.id.in_(user_ids)))
        names = {row.id: row.name for row in rows}
    current = terms.CURRENT
    return Agreement(
        company_id=company_id,
        state="not_approved" if activation is None else activation.state,  # type: ignore[arg-type]
        terms=AgreementTerms(
            version=current.version,
            title_sv=current.title_sv,
            title_en=current.title_en,
            text_sv=current.text_sv,
            text_en=current.text_en,
        ),
        approved_version=activation.terms_version if activation else None,
        scopes=list(activation.scopes) if activation else [],
        entry_point=activation.entry_point if activation else None,
        approved_at=activation.approved_at if activation else None,
        approved_by_user_id=activation.approved_by_user_id if activation else None,
        ended_at=activation.ended_at if activation else None,
        card_state=card_state(activation),
        can_manage=user.is_admin,
        history=[
            AgreementEventView(
                id=event.id,
                kind=event.kind,
                terms_version=event.terms_version,
                scopes=list(event.scopes),
                entry_point=event.entry_point,
                user_id=event.user_id,
                user_name=names.get(event.user_id) if event.user_id else None,
                detail={key: str(value) for key, value in event.detail.items()},
                created_at=event.created_at,
            )
            for event in events
        ],
    )


REJECTED_SV = (
    "Kivra har nekat åtkomst till företagets befintliga avsändarkonto i Kivra. "
    "Be den som administrerar kontot (ofta en tjänst som redan skickar era "
    "fakturor via Kivra) att godkänna Kivra i Lön, eller kontakta Kivras "
    "avsändarsupport, och godkänn sedan avtalet igen. Tills dess skickas "
    "lönebeskeden till Min lön."
)
REJECTED_EN = (
    "Kivra rejected access to the company's existing sender account in Kivra. "
    "Ask whoever manages that account (often a service already sending your "
    "invoices through Kivra) to allow Kivra i Lön, or contact Kivra's sender "
    "support, then approve the agreement again. Until then payslips go to Min lön."
)

_CARD_TEXTS: dict[str, tuple[str, str, str, str]] = {
    "not_active": (
        "Kivra",
        "Kivra",
        "Skicka lönebesked och fakturor till anställdas digitala brevlåda.",
        "Send payslips and invoices to employees' digital mailbox.",
    ),
    "waiting_for_kivra": (
        "Kivra: väntar på Kivra",
        "Kivra: waiting for Kivra",
        "Avtalet är godkänt. Kivra behandlar anslutningen; under tiden skickas "
        "lönebeskeden till Min lön och går till Kivra när Kivra har godkänt.",
        "The agreement is approved. Kivra is processing the connection; "
        "meanwhile payslips go to Min lön and go to Kivra once Kivra approves.",
    ),
    "kivra_unreachable": (
        "Kivra: kunde inte nås ännu",
        "Kivra: not reached yet",
        "Avtalet är godkänt, men Kivra svarade inte när anslutningen skulle "
        "göras. Vi försöker igen automatiskt, senast när lönebesked skickas; "
        "under tiden skickas lönebeskeden till Min lön.",
        "The agreement is approved, but Kivra did not answer when the "
        "connection was to be set up. We try again automatically, at the latest "
        "when payslips are sent; meanwhile payslips go to Min lön.",
    ),
    "active": (
        "Kivra: aktivt",
        "Kivra: active",
        "Lönebesked skickas till Kivra, och till Min lön för den som inte har Kivra.",
        "Payslips go to Kivra, and to Min lön for those without Kivra.",
    ),
    "ended": (
        "Kivra: avslutat",
        "Kivra: ended",
        "Användningen av Kivra är avslutad. Historiken finns kvar och Kivra "
        "kan aktiveras igen.",
        "The use of Kivra has ended. The history remains and Kivra can be "
        "activated again.",
    ),
}


def kivra_card(session: Session, company_id: int) -> KivraCard:
    """The Kivra card under "Fler lösningar"."""
    activation = get_activation(session, company_id)
    state = card_state(activation)
    title_sv, title_en, text_sv, text_en = _CARD_TEXTS[state]
    rejected = activation is not None and activation.tenant_state == TENANT_REJECTED
    return KivraCard(
        state=state,
        scopes=list(activation.scopes) if activation else [],
        title_sv=title_sv,
        title_en=title_en,
        text_sv=text_sv,
        text_en=text_en,
        target_url=f"/api/companies/{company_id}/agreement",
        problem_sv=REJECTED_SV if rejected else None,
        problem_en=REJECTED_EN if rejected else None,
    )


def kivra_button(session: Session, company_id: int, period: str | None) -> KivraButton:
    """Where the payroll run's Kivra button leads: agreement or status page."""
    if period is not None:
        # The period ends up in a URL, so it must be a real one.
        parse_period(period)
    activation = get_activation(session, company_id)
    state = card_state(activation)
    if activation is None or activation.state != AGREEMENT_ACTIVE:
        return KivraButton(
            target="agreement",
            url=f"/api/companies/{company_id}/agreement",
            card_state=state,
        )
    query = f"?month={period}" if period else ""
    return KivraButton(
        target="status",
        url=f"/api/companies/{company_id}/status{query}",
        card_state=state,
    )


__all__ = [
    "OrgnrRequiredError",
    "agreement_view",
    "approve_agreement",
    "card_state",
    "change_scopes",
    "end_agreement",
    "get_activation",
    "kivra_button",
    "kivra_card",
]
