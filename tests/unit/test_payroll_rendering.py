"""Rendering a run on every core gives the same bytes, in order, as one by one."""

from __future__ import annotations

from decimal import Decimal

import msgspec

from backend.payroll.documents_input import PayslipDocumentInput
from backend.payroll.documents_sample import sample_payslip_input
from backend.payroll.rendering import render_many, render_one


def _inputs(count: int) -> list[PayslipDocumentInput]:
    sample = sample_payslip_input()
    return [
        msgspec.structs.replace(
            sample,
            employee=msgspec.structs.replace(sample.employee, name=f"Person {n}"),
            net_pay=sample.net_pay + Decimal(n),
        )
        for n in range(count)
    ]


def test_rendering_pool_gives_the_bytes_of_one_by_one_in_order() -> None:
    inputs = _inputs(450)

    pooled = list(render_many(inputs, pool_from=1, processes=2))

    assert pooled == [render_one(inp) for inp in inputs]
    assert len({r.pdf for r in pooled}) == len(inputs)


def test_rendering_small_run_renders_in_this_process() -> None:
    inputs = _inputs(3)

    assert list(render_many(inputs)) == [render_one(inp) for inp in inputs]
