"""Command-line work for sign-in and companies: used by demos and operators."""

from __future__ import annotations

from backend.auth import service as auth_service
from backend.db.session import create_db_engine, make_session_factory, transaction
from backend.delivery.employer import FIELDS, contact_problems
from backend.errors import AppError, NotFoundError
from backend.payroll import identity, repository
from backend.payroll import service as payroll_service
from backend.settings import Settings


def create_company_command(
    settings: Settings,
    *,
    name: str,
    orgnr: str,
    city: str,
    email: str,
    street_address: str = "",
    postal_code: str = "",
    phone: str = "",
) -> tuple[int, str]:
    """Add a company; return its id and the Swedish line to print.

    The line also names the contact details Kivra's payslips still lack.
    """
    engine = create_db_engine(settings.database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            company = payroll_service.create_company(
                session,
                name=name,
                orgnr=orgnr,
                street_address=street_address,
                postal_code=postal_code,
                city=city,
                email=email,
                phone=phone,
            )
            line = f"Företag {company.id} skapat: {company.name}."
            missing = contact_problems(company)
            if missing:
                names = ", ".join(FIELDS[field][0] for field in missing)
                line += (
                    f" Obs: lönebesked kan inte skickas till Kivra förrän {names} "
                    "är ifyllt och giltigt (ändra företagets uppgifter)."
                )
            return 0, line
    except AppError as exc:
        return 1, exc.message_sv
    finally:
        engine.dispose()


def create_user_command(
    settings: Settings,
    *,
    orgnr: str,
    email: str,
    name: str,
    role: str,
    password: str,
    personnummer: str | None = None,
) -> tuple[int, str]:
    """Add a user to the company with `orgnr`; return an exit code and a line."""
    engine = create_db_engine(settings.database_url)
    try:
        with transaction(make_session_factory(engine)) as session:
            company = repository.company_by_orgnr(
                session, identity.normalise_orgnr(orgnr)
            )
            if company is None:
                raise NotFoundError(
                    "Företaget finns inte.", "The company does not exist."
                )
            employee_id = None
            if personnummer is not None:
                employee = repository.employee_by_personnummer(
                    session, company.id, identity.normalise(personnummer)
                )
                if employee is None:
                    raise NotFoundError(
                        "Den anställda finns inte i företaget.",
                        "The employee does not exist in the company.",
                    )
                employee_id = employee.id
            user = auth_service.create_user(
                session,
                company_id=company.id,
                email=email,
                name=name,
                password=password,
                role=role,
                employee_id=employee_id,
            )
            return 0, f"Användare {user.id} skapad med rollen {user.role}."
    except AppError as exc:
        return 1, exc.message_sv
    finally:
        engine.dispose()
