"""Continue the send that activation held back, right after approval.

An existing customer's first "Skicka" answers 409 `activation_required`; the
client then approves with `resume_send: {period, mode}` and the send starts
here through the delivery service, the same steps as the send route, so
nobody has to press "Skicka" again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from sqlalchemy.orm import Session

from backend.delivery import planning
from backend.delivery import service as delivery
from backend.errors import UpstreamError
from backend.kivra.errors import KivraError
from backend.kivra_factory import kivra_client
from backend.settings import Settings
from shared_types.delivery import SendJob, SendMode


async def resume_send(
    session: Session,
    settings: Settings,
    *,
    company_id: int,
    period: str,
    mode: SendMode,
    user_id: int,
) -> SendJob:
    """Start (or find) the run's send job now that the gate lets it through.

    Raises:
        UpstreamError: when Kivra cannot say which employees use Kivra.
    """
    prep = planning.prepare_run(session, company_id, period, for_send=True)
    found = delivery.existing_job(session, prep.run_id)
    if found is not None:
        return delivery.job_view(session, found)
    session.commit()

    async def usermatch(tenant_key: str, ssns: Sequence[str]) -> set[str]:
        async with kivra_client(settings) as kivra:
            return await kivra.match_ssns(tenant_key, ssns)

    try:
        users = await planning.match_kivra_users(prep, usermatch)
    except KivraError as exc:
        raise UpstreamError(
            "Avtalet är godkänt, men Kivra kunde inte svara på vilka anställda som "
            "har Kivra. Inget har skickats; tryck Skicka igen om en stund.",
            "The agreement is approved, but Kivra could not tell which employees "
            "use Kivra. Nothing was sent; press Send again shortly.",
        ) from exc
    routes = planning.plan_routes(prep, users)
    job, created = await asyncio.to_thread(
        delivery.create_send_job, session, prep, routes, mode=mode, user_id=user_id
    )
    return delivery.job_view(session, job, created=created)
