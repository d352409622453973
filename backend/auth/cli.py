"""Command-line work for sign-in and companies: used by demos and operators."""

from __future__ import annotations

import msgspec

from backend.auth import service as auth_service
from backend.db.session import create_db_engine, make_session_factory, transaction
from backend.delivery.employer import (
    FIELDS,
    contact_problem_text,
    contact_problems,
)
from backend.errors import AppError, InvalidInputError, NotFoundError
from backend.payroll import identity, repository
from backend.payroll import service as payroll_service
from backend.settings import Settings
from shared_types.payroll import CompanyUpdate


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
                    "är ifyllt och giltigt (rätta med kivra-lon update-company)."
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


def update_company_command(
    settings: Settings, *, orgnr: str, changes: dict[str, str]
) -> tuple[int, str]:
    """Change the company's name or contact details; return an exit code and a line.

    Only the fields in `changes` are touched, through the same validation as
    PATCH /api/companies/{id}; the line names what Kivra's payslips still lack.
    """
    if not changes:
        return 1, (
            "Ange minst ett fält att ändra: --name, --street-address, "
            "--postal-code, --city, --email eller --phone."
        )
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
            for field, value in changes.items():
                try:
                    msgspec.convert({field: value}, CompanyUpdate)
                except msgspec.ValidationError as exc:
                    option = "--" + field.replace("_", "-")
                    raise InvalidInputError(
                        f"{option} är för långt; inget har ändrats.",
                        f"{option} is too long; nothing was changed.",
                    ) from exc
            data = msgspec.convert(changes, CompanyUpdate)
            company = payroll_service.update_company(session, company.id, data)
            line = f"Företag {company.id} uppdaterat: {company.name}."
            missing = contact_problems(company)
            wrong = [field for field in missing if field in changes]
            if wrong:
                # What was just entered cannot make a Kivra payslip: keep
                # the old values (the transaction is rolled back).
                sv, en = contact_problem_text(wrong)
                raise InvalidInputError(
                    f"{sv} Inget har ändrats.", f"{en} Nothing was changed."
                )
            if missing:
                names = ", ".join(FIELDS[field][0] for field in missing)
                line += (
                    f" Obs: lönebesked kan inte skickas till Kivra förrän {names} "
                    "är ifyllt och giltigt."
                )
            else:
                line += " Kontaktuppgifterna räcker för lönebesked i Kivra."
            return 0, line
    except AppError as exc:
        return 1, exc.message_sv
    finally:
        engine.dispose()
