"""Command-line approval of the agreement, for operators without the web app.

`kivra-lon approve-agreement` records the approval through the same service
as the API (entry point "cli", no user account: the operator acts as an
admin), then sets up the company's Kivra tenant as the API does, and prints
the Fler lösningar card's state in Swedish.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.orm import Session

from backend.agreements import service, terms
from backend.agreements.models import ENTRY_CLI, KivraActivation
from backend.agreements.tenant import ensure_tenant
from backend.db.session import create_db_engine, make_session_factory
from backend.delivery.employer import (
    FIX_HINT_SV,
    contact_problem_text,
    contact_problems,
)
from backend.errors import AppError, NotFoundError
from backend.kivra_factory import kivra_client
from backend.payroll import identity, repository
from backend.settings import Settings

logger = logging.getLogger(__name__)

# How long the command waits for Kivra to set up the tenant.
TENANT_SECONDS = 15.0

SCOPE_TEXTS_SV = {"payslips": "lönebesked", "invoices": "fakturor"}


def approve_agreement_command(
    settings: Settings, *, orgnr: str, scopes: list[str]
) -> tuple[int, list[str]]:
    """Approve the current terms for the company; return an exit code and lines."""
    engine = create_db_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            company = repository.company_by_orgnr(
                session, identity.normalise_orgnr(orgnr)
            )
            if company is None:
                raise NotFoundError(
                    "Företaget finns inte.", "The company does not exist."
                )
            activation = service.approve_agreement(
                session,
                company,
                None,
                terms_version=terms.CURRENT.version,
                scopes=scopes,
                entry_point=ENTRY_CLI,
            )
            # The approval stands even if Kivra cannot be reached now.
            session.commit()
            asyncio.run(_set_up_tenant(session, activation, settings))
            session.commit()
            card = service.kivra_card(session, company.id)
            covered = ", ".join(SCOPE_TEXTS_SV[s] for s in activation.scopes)
            lines = [
                f"Avtalet om Kivra i Lön (version {activation.terms_version}) är "
                f"godkänt för {company.name}; det omfattar {covered}.",
                f"Kivra-kortet under Fler lösningar: {card.title_sv}. {card.text_sv}",
            ]
            missing = contact_problems(company)
            if missing:
                problem, _en = contact_problem_text(missing)
                lines.append(f"Obs: {problem} {FIX_HINT_SV} innan ni skickar.")
            return 0, lines
    except AppError as exc:
        return 1, [exc.message_sv]
    finally:
        engine.dispose()


async def _set_up_tenant(
    session: Session, activation: KivraActivation, settings: Settings
) -> None:
    try:
        async with asyncio.timeout(TENANT_SECONDS), kivra_client(settings) as kivra:
            await ensure_tenant(session, activation, kivra)
    except TimeoutError:
        logger.warning(
            "kivra_tenant_setup_timed_out", extra={"company_id": activation.company_id}
        )
