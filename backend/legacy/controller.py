"""Routes of the move from the old web product (VLA).

The old product's agreement and status pages answer 410 "moved" with the new
URLs once the company's export has been imported; the import itself is an
admin upload of the export file.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK

from backend.auth.guards import CurrentUserDep, require_admin, require_staff
from backend.deps import DbSession
from backend.legacy.service import import_vla_export, moved_error
from shared_types.agreements import VlaImportResult


class LegacyController(Controller):
    path = "/legacy/vla"

    @get("/companies/{orgnr:str}/kivra/agreement", sync_to_thread=True)
    def old_agreement(
        self, orgnr: FromPath[str], db_session: DbSession, current_user: CurrentUserDep
    ) -> None:
        """The old product's agreement page: moved here."""
        require_staff(current_user, current_user.company_id)
        raise moved_error(db_session, orgnr, current_user.company_id, "agreement")

    @get("/companies/{orgnr:str}/kivra/status", sync_to_thread=True)
    def old_status(
        self, orgnr: FromPath[str], db_session: DbSession, current_user: CurrentUserDep
    ) -> None:
        """The old product's status page: moved here."""
        require_staff(current_user, current_user.company_id)
        raise moved_error(db_session, orgnr, current_user.company_id, "status")


@post(
    "/companies/{company_id:int}/legacy/vla-import",
    status_code=HTTP_200_OK,
    tags=["legacy"],
)
async def import_vla(
    company_id: FromPath[int],
    request: Request[Any, Any, Any],
    db_session: DbSession,
    current_user: CurrentUserDep,
) -> VlaImportResult:
    """Import the company's VLA export file (the JSON body), admins only."""
    require_admin(current_user, company_id)
    data = await request.body()
    return import_vla_export(db_session, data, company_id=company_id)
