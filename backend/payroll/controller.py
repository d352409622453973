"""Payroll core routes under `/api/companies/{company_id}`.

Staff (admins and payroll clerks) of the company reach every route here;
changing the company's own details is for admins. Another company's id
answers 404. The import routes live with the imports.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import Controller, Response, get, patch, post
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from backend.auth.guards import CurrentUserDep, require_admin, require_staff
from backend.deps import DbSession
from backend.payroll import repository, service
from backend.payroll.views import company_view, employee_view, payslip_view, run_view
from shared_types import payroll as api
from shared_types.base import Page

Limit = Annotated[int, QueryParameter(ge=1, le=500, description="Page size.")]
Offset = Annotated[int, QueryParameter(ge=0, description="Rows to skip.")]


class PayrollController(Controller):
    path = "/companies/{company_id:int}"
    tags = ("payroll",)

    @get("/", sync_to_thread=True)
    def get_company(
        self,
        company_id: FromPath[int],
        db_session: DbSession,
        current_user: CurrentUserDep,
    ) -> api.Company:
        """Show the company."""
        require_staff(current_user, company_id)
        return company_view(service.get_company(db_session, company_id))

    @patch("/", sync_to_thread=True)
    def update_company(
        self,
        company_id: FromPath[int],
        data: JSONBody[api.CompanyUpdate],
        db_session: DbSession,
        current_user: CurrentUserDep,
    ) -> api.Company:
        """Change the company's details (admins only)."""
        require_admin(current_user, company_id)
        return company_view(service.update_company(db_session, company_id, data))

    @get("/employees", sync_to_thread=True)
    def list_employees(
        self,
        *,
        company_id: FromPath[int],
        db_session: DbSession,
        current_user: CurrentUserDep,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> api.EmployeeList:
        """List the company's employees by name, one page at a time."""
        require_staff(current_user, company_id)
        rows, total = service.list_employees(
            db_session, company_id, limit=limit, offset=offset
        )
        today = date.today()  # noqa: DTZ011  (employment dates are Swedish calendar days)
        return api.EmployeeList(
            items=[employee_view(row, today) for row in rows],
            page=Page(total=total, limit=limit, offset=offset),
        )

    @post("/employees", sync_to_thread=True, status_code=HTTP_201_CREATED)
    def create_employee(
        self,
        company_id: FromPath[int],
        data: JSONBody[api.EmployeeCreate],
        db_session: DbSession,
        current_user: CurrentUserDep,
    ) -> api.Employee:
        """Add an employee."""
        require_staff(current_user, company_id)
        employee = service.create_employee(db_session, company_id, data)
        return employee_view(employee, date.today())  # noqa: DTZ011

    @get("/employees/{employee_id:int}", sync_to_thread=True)
    def get_employee(
        self,
        company_id: FromPath[int],
        employee_id: FromPath[int],
        db_session: DbSession,
        current_user: CurrentUserDep,
    ) -> api.Employee:
        """Show one employee."""
        require_staff(current_user, company_id)
        employee = service.get_employee(db_session, company_id, employee_id)
        return employee_view(employee, date.today())  # noqa: DTZ011

    @patch("/employees/{employee_id:int}", sync_to_thread=True)
    def update_employee(
        self,
        company_id: FromPath[int],
        employee_id: FromPath[int],
        data: JSONBody[api.EmployeeUpdate],
        db_session: DbSession,
        current_user: CurrentUserDep,
    ) -> api.Employee:
        """Change some of an employee's details."""
        require_staff(current_user, company_id)
        employee = service.update_employee(db_session, company_id, employee_id, data)
        return employee_view(employee, date.today())  # noqa: DTZ011

    @get("/payroll-runs", sync_to_thread=True)
    def list_runs(
        self,
        *,
        company_id: FromPath[int],
        db_session: DbSession,
        current_user: CurrentUserDep,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> api.PayrollRunList:
        """List the company's payroll runs, newest period first."""
        require_staff(current_user, company_id)
        rows, total = service.list_runs(
            db_session, company_id, limit=limit, offset=offset
        )
        counts = repository.payslip_counts(db_session, [row.id for row in rows])
        return api.PayrollRunList(
            items=[run_view(row, counts[row.id]) for row in rows],
            page=Page(total=total, limit=limit, offset=offset),
        )

    @get("/payroll-runs/{period:str}", sync_to_thread=True)
    def get_run(
        self,
        company_id: FromPath[int],
        period: FromPath[str],
        db_session: DbSession,
        current_user: CurrentUserDep,
    ) -> api.PayrollRun:
        """Show one payroll run."""
        require_staff(current_user, company_id)
        run = service.get_run(db_session, company_id, period)
        return run_view(run, repository.payslip_counts(db_session, [run.id])[run.id])

    @post(
        "/payroll-runs/{period:str}/finalise",
        sync_to_thread=True,
        status_code=HTTP_200_OK,
    )
    def finalise_run(
        self,
        company_id: FromPath[int],
        period: FromPath[str],
        db_session: DbSession,
        current_user: CurrentUserDep,
    ) -> api.PayrollRun:
        """Make the run final and render every payslip's documents once."""
        require_staff(current_user, company_id)
        run = service.finalise_run(db_session, company_id, period)
        return run_view(run, repository.payslip_counts(db_session, [run.id])[run.id])

    @get("/payroll-runs/{period:str}/payslips", sync_to_thread=True)
    def list_payslips(
        self,
        *,
        company_id: FromPath[int],
        period: FromPath[str],
        db_session: DbSession,
        current_user: CurrentUserDep,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> api.PayslipList:
        """List the run's payslips, one page at a time."""
        require_staff(current_user, company_id)
        run = service.get_run(db_session, company_id, period)
        rows, total = service.list_payslips_page(
            db_session, run.id, limit=limit, offset=offset
        )
        rendered = repository.document_ids(db_session, [row.id for row in rows])
        return api.PayslipList(
            items=[payslip_view(row, has_document=row.id in rendered) for row in rows],
            page=Page(total=total, limit=limit, offset=offset),
        )

    @get(
        "/payslips/{payslip_id:int}/pdf",
        sync_to_thread=True,
        media_type="application/pdf",
    )
    def payslip_pdf(
        self,
        company_id: FromPath[int],
        payslip_id: FromPath[int],
        db_session: DbSession,
        current_user: CurrentUserDep,
    ) -> Response[bytes]:
        """Download the payslip's PDF, the exact bytes rendered at finalising."""
        require_staff(current_user, company_id)
        payslip = service.get_payslip(db_session, company_id, payslip_id)
        document = service.get_payslip_documents(db_session, payslip.id)
        return pdf_response(document.pdf, service.pdf_filename(payslip))


def pdf_response(pdf: bytes, filename: str) -> Response[bytes]:
    """Answer a PDF download under a file name the browser keeps."""
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
