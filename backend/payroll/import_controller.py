"""Import routes: an employee register and a payroll run, uploaded as files.

`POST /api/companies/{company_id}/employees/import` and
`POST /api/companies/{company_id}/payroll-runs/import?period=YYYY-MM[&pay_date=]`
take the file either as multipart form data (field `file`) or as the raw
request body with its content type (`application/xml`, `text/csv`,
`application/json`; a `charset` parameter is honoured). Only the company's
staff may import. A rejected file answers 422 problem details with
`errors: [{line, field, message}]` in the user's language.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypeAlias

from litestar import Controller, MediaType, Request, Response, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_200_OK

from backend.auth.guards import CurrentUserDep, require_staff
from backend.deps import AppSettings, DbSession
from backend.errors import problem_response, request_language
from backend.payroll.imports import ImportFile, import_employees, import_payroll_run
from backend.payroll.imports_records import ImportRejectedError, check_size
from shared_types.imports import EmployeeImportResult, PayrollImportResult

UploadDep: TypeAlias = NamedDependency[ImportFile]

# Room for multipart boundaries and headers around the file itself.
_MULTIPART_OVERHEAD = 64 * 1024


async def read_upload(
    request: Request[Any, Any, Any],
    company_id: FromPath[int],
    settings: AppSettings,
    current_user: CurrentUserDep,
) -> ImportFile:
    """Read the uploaded file from a multipart form or the raw body.

    Only the company's staff get this far, and a declared length over the
    limit is refused before the body is read.
    """
    require_staff(current_user, company_id)
    limit = settings.max_upload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit():
        check_size(max(int(declared) - _MULTIPART_OVERHEAD, 0), limit)
    content_type = request.headers.get("content-type")
    if (content_type or "").lower().startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            upload = next((v for v in form.values() if isinstance(v, UploadFile)), None)
        if upload is None:
            return ImportFile(data=b"", filename=None, content_type=None)
        data = await upload.read()
        return ImportFile(
            data=data, filename=upload.filename, content_type=upload.content_type
        )
    body = await request.body()
    return ImportFile(data=body, filename=None, content_type=content_type)


def import_rejected_handler(
    request: Request[Any, Any, Any], exc: ImportRejectedError
) -> Response[Any]:
    """Answer a rejected file with every problem, in the user's language."""
    language = request_language(request)
    return problem_response(
        request,
        status=exc.status_code,
        code=exc.code,
        title=exc.message(language),
        detail=exc.message(language),
        extra={"errors": exc.problems(language)},
    )


class ImportController(Controller):
    path = "/companies/{company_id:int}"
    tags = ("imports",)
    dependencies = {  # noqa: RUF012 - Litestar reads this class attribute as is
        "upload": Provide(read_upload),
    }
    exception_handlers = {ImportRejectedError: import_rejected_handler}  # noqa: RUF012 - as above

    @post(
        "/employees/import",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        media_type=MediaType.JSON,
    )
    def import_employee_register(
        self,
        company_id: FromPath[int],
        upload: UploadDep,
        db_session: DbSession,
        settings: AppSettings,
        current_user: CurrentUserDep,
    ) -> EmployeeImportResult:
        """Add or update employees from a PAXml or CSV register (all or nothing)."""
        require_staff(current_user, company_id)
        return import_employees(
            db_session, company_id, upload, max_bytes=settings.max_upload_bytes
        )

    @post(
        "/payroll-runs/import",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
        media_type=MediaType.JSON,
    )
    def import_payroll(  # noqa: PLR0917 - Litestar injects every parameter by name
        self,
        company_id: FromPath[int],
        period: FromQuery[str],
        upload: UploadDep,
        db_session: DbSession,
        settings: AppSettings,
        current_user: CurrentUserDep,
        pay_date: FromQuery[date | None] = None,
    ) -> PayrollImportResult:
        """Create or replace the period's draft run from a CSV or JSON file."""
        require_staff(current_user, company_id)
        return import_payroll_run(
            db_session,
            company_id,
            period,
            upload,
            max_bytes=settings.max_upload_bytes,
            pay_date=pay_date,
        )
