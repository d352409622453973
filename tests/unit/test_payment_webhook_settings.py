"""KIVRA_WEBHOOK_SECRETS: how the operator's secrets are read."""

from __future__ import annotations

import base64
import logging

import pytest

from backend.invoices.webhooks import configured_secrets

GOOD = base64.b64encode(b"k" * 32).decode()
OTHER = "whsec_" + base64.b64encode(b"o" * 32).decode()


def test_configured_secrets_split_on_commas_and_spaces() -> None:
    assert configured_secrets(f" {GOOD},{OTHER}\n") == [GOOD, OTHER]
    assert configured_secrets(f"{GOOD} , {OTHER}") == [GOOD, OTHER]
    assert configured_secrets("") == []


def test_configured_secret_that_is_not_base64_is_skipped_without_showing_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    assert configured_secrets(f"not-base64!secret {GOOD}") == [GOOD]
    (record,) = caplog.records
    assert record.getMessage() == "payment_webhook.configured_secret_invalid"
    assert record.__dict__["position"] == 1
    assert "not-base64!secret" not in caplog.text
