"""Demo seeding of activation, per company story (called by the demo seed).

`seed_activation(session, company_id, story)` is idempotent. Stories:

- existing_customer, kivra_access_pending: the agreement is approved by the
  company's first admin from "Fler lösningar". The Kivra tenant is set up on
  the first read of the Kivra card or status page (or by `kivra-lon
  refresh-kivra-access`): for a company whose organisation number has a
  foreign tenant in the emulator that becomes an access request, so the card
  shows "waiting for Kivra".
- new_customer: nothing; approval is implied at the first send.
- existing_customer_without_history: nothing; the first send asks to activate.
- moved_from_old_web_product: nothing here; the VLA export import does it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.agreements import terms
from backend.agreements.models import (
    AGREEMENT_ACTIVE,
    ENTRY_FLER_LOSNINGAR,
    SCOPE_PAYSLIPS,
    TENANT_NONE,
    AgreementEvent,
    KivraActivation,
)
from backend.auth.models import ROLE_ADMIN, User

APPROVED_STORIES = frozenset({"existing_customer", "kivra_access_pending"})


def seed_activation(session: Session, company_id: int, story: str) -> bool:
    """Record the demo company's activation for `story`; True if it changed."""
    if story not in APPROVED_STORIES:
        return False
    exists = session.scalar(
        select(KivraActivation.id).where(KivraActivation.company_id == company_id)
    )
    if exists is not None:
        return False
    admin_id = session.scalar(
        select(User.id)
        .where(User.company_id == company_id, User.role == ROLE_ADMIN)
        .order_by(User.id)
    )
    session.add(
        KivraActivation(
            company_id=company_id,
            state=AGREEMENT_ACTIVE,
            terms_version=terms.CURRENT.version,
            scopes=[SCOPE_PAYSLIPS],
            entry_point=ENTRY_FLER_LOSNINGAR,
            approved_by_user_id=admin_id,
            tenant_state=TENANT_NONE,
        )
    )
    session.add(
        AgreementEvent(
            company_id=company_id,
            kind="approved",
            terms_version=terms.CURRENT.version,
            scopes=[SCOPE_PAYSLIPS],
            entry_point=ENTRY_FLER_LOSNINGAR,
            user_id=admin_id,
            detail={},
        )
    )
    session.flush()
    return True
