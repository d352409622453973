"""Command-line parameter types that explain a wrong value in Swedish.

Click's own types answer in English ("Invalid value for '--pay-date': ...
does not match the format"); these give the reason in Swedish after click's
prefix, for the period and pay date of `import-payroll` and `send-payslips`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import click


class PeriodParam(click.ParamType[str]):
    """A payroll period, YYYY-MM, checked as the API checks it."""

    name = "period"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> str:
        # Imported here so that `kivra-lon --help` does not load the database layer.
        from backend.errors import InvalidInputError  # noqa: PLC0415 - see above
        from backend.payroll.service import parse_period  # noqa: PLC0415 - see above

        try:
            parse_period(str(value))
        except InvalidInputError as error:
            self.fail(error.message_sv, param, ctx)
        return str(value)


class PayDateParam(click.ParamType[date]):
    """A date written YYYY-MM-DD."""

    name = "date"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.fail(
                "Datumet ska skrivas ÅÅÅÅ-MM-DD och finnas, till exempel 2026-11-25.",
                param,
                ctx,
            )


PERIOD = PeriodParam()
PAY_DATE = PayDateParam()
