"""The invoice import route: a CSV or JSON file of invoices, all or nothing.

`POST /api/companies/{company_id}/invoices/import` takes the file as
multipart form data (field `file`) or as the raw request body with its
content type (`text/csv` or `application/json`; a `charset` is honoured),
exactly as the payroll imports do. Only the company's staff may import. A
rejected file answers 422 problem details with code `import_rejected` and
`errors: [{line, field, message}]` in the user's language; nothing of it is
stored then.
"""

from __future__ import annotations

from datetime import date
from typing import TypeAlias

from litestar import Controller, MediaType, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.status_codes import HTTP_201_CREATED

from backend.auth.guards import CurrentUserDep, require_staff
from backend.deps import AppSettings, DbSession
from backend.invoices.imports import import_invoices
from backend.payroll.import_controller import import_rejected_handler, read_upload
from backend.payroll.imports import ImportFile
from backend.payroll.imports_records import ImportRejectedError
from shared_types.invoices import InvoiceImportResult

UploadDep: TypeAlias = NamedDependency[ImportFile]


class InvoiceImportController(Controller):
    path = "/companies/{company_id:int}"
    tags = ("invoices",)
    dependencies = {  # noqa: RUF012 - Litestar reads this class attribute as is
        "upload": Provide(read_upload),
    }
    exception_handlers = {ImportRejectedError: import_rejected_handler}  # noqa: RUF012 - as above

    @post(
        "/invoices/import",
        sync_to_thread=True,
        status_code=HTTP_201_CREATED,
        media_type=MediaType.JSON,
    )
    def import_invoice_file(
        self,
        company_id: FromPath[int],
        upload: UploadDep,
        db_session: DbSession,
        settings: AppSettings,
        current_user: CurrentUserDep,
    ) -> InvoiceImportResult:
        """Create every invoice of a CSV or JSON file, and its new customers, or none."""
        require_staff(current_user, company_id)
        return import_invoices(
            db_session,
            company_id,
            upload,
            max_bytes=settings.max_upload_bytes,
            user_id=current_user.id,
            today=date.today(),  # noqa: DTZ011 - invoice dates are Swedish calendar days
        )
