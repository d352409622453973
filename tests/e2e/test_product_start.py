"""What `make run` starts besides the UI: the bundled emulator's behaviour."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Product, emulator

pytestmark = pytest.mark.e2e


def test_product_emulator_has_kivra_duplicate_control(product: Product) -> None:
    """The emulator runs as Kivra's production does, matching the product's default.

    The product resends the identical bytes after a lost answer
    (`KIVRA_DUPLICATE_CONTROL=true`); without duplicate control in the
    emulator every such resend would be a second payslip.
    """
    with emulator(product) as operator:
        assert operator.state()["mode"] == "production"
