"""A small synchronous client for the emulator's `/_emulator/` operator API.

Tests, demo seeding and scripts use it instead of hand-written requests, so
the operator API has one caller-side description.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx


class EmulatorOperatorError(Exception):
    """The operator API refused a request."""


class EmulatorOperator:
    """Drive the emulator at `base_url`: seed, inspect, inject faults, reset."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(base_url=self.base_url + "/_emulator", timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> EmulatorOperator:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        response = self.http.request(method, path, json=body)
        if response.status_code >= 400:
            raise EmulatorOperatorError(
                f"{method} {path}: {response.status_code} {response.text}"
            )
        return response.json() if response.content else None

    def seed_client(
        self, client_id: str, client_secret: str, name: str = "Seeded client"
    ) -> None:
        """Register OAuth2 client credentials that `/v1/auth` accepts."""
        self._call(
            "POST",
            "/clients",
            {"client_id": client_id, "client_secret": client_secret, "name": name},
        )

    def seed_recipient(
        self,
        ssn: str,
        state: str,
        tenant_key: str | None = None,
        grace_until: date | None = None,
    ) -> int:
        """Set a recipient's state (for one tenant, or all when `tenant_key` is None).

        `ssn` may also be a verified e-mail or a VAT number. States: active,
        dormant, grace (with `grace_until`), opted_out, inactive, unknown.
        Returns how many retained contents became delivered.
        """
        body: dict[str, Any] = {"id": ssn, "state": state, "tenant_key": tenant_key}
        if grace_until is not None:
            body["grace_until"] = grace_until.isoformat()
        result: dict[str, Any] = self._call("POST", "/recipients", body)
        return int(result["delivered"])

    def seed_foreign_tenant(
        self, orgnr: str, name: str = "Annan Avsändare AB"
    ) -> dict[str, Any]:
        """Create a tenant owned by another client; creating it answers 409 40915."""
        result: dict[str, Any] = self._call(
            "POST", "/foreign-tenants", {"orgnr": orgnr, "name": name}
        )
        return result

    def access_requests(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/access-requests")
        return result

    def accept_access_request(self, key: str) -> None:
        self._call("POST", f"/access-requests/{key}/accept")

    def reject_access_request(self, key: str) -> None:
        self._call("POST", f"/access-requests/{key}/reject")

    def received(self, ssn: str) -> list[dict[str, Any]]:
        """List what a recipient got: key, tenant_key, type, subject, retained,
        sha256 (of the exact payload bytes), size, duplicates, received_at,
        delivered_at."""
        result: list[dict[str, Any]] = self._call("GET", f"/received/{ssn}")
        return result

    def contents(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/contents")
        return result

    def content(self, key: str) -> dict[str, Any]:
        """Return one content's metadata plus `body`, the JSON it was sent with."""
        result: dict[str, Any] = self._call("GET", f"/contents/{key}")
        return result

    def tenants(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/tenants")
        return result

    def inject_fault(
        self,
        kind: str,
        path: str,
        *,
        method: str | None = None,
        count: int = 1,
        status: int | None = None,
        delay_seconds: float = 0.0,
    ) -> int:
        """Make the next `count` requests whose path matches `path` (fnmatch) misbehave.

        Kinds: latency, error (answer `status`, 500 by default; 429 too),
        timeout (hold `delay_seconds`, then 504, nothing done), lost_response
        (do the work, then drop the connection, or answer `status` if given),
        token_expired (expire the presented token first).
        """
        body = {
            "kind": kind,
            "path": path,
            "method": method,
            "count": count,
            "status": status,
            "delay_seconds": delay_seconds,
        }
        result: dict[str, Any] = self._call("POST", "/faults", body)
        return int(result["id"])

    def faults(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "/faults")
        return result

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def set_mode(self, mode: str) -> None:
        """Switch to "sandbox" (no duplicate control) or "production"."""
        self._call("POST", "/mode", {"mode": mode})

    def set_clock(self, offset_seconds: float) -> None:
        self._call("POST", "/clock", {"offset_seconds": offset_seconds})

    def advance_clock(self, seconds: float) -> None:
        self._call("POST", "/clock", {"advance_seconds": seconds})

    def set_latency(self, milliseconds: float) -> None:
        self._call("POST", "/latency", {"milliseconds": milliseconds})

    def expire_tokens(self, client_id: str | None = None) -> int:
        result: dict[str, Any] = self._call(
            "POST", "/tokens/expire", {"client_id": client_id}
        )
        return int(result["expired"])

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "/state")
        return result

    # Invoices and payment webhooks ------------------------------------------

    def emit_payment(
        self,
        content_key: str,
        *,
        payment_event: str = "settled",
        payment_type: str = "bank",
        amount: str | None = None,
        kind: str = "payment_callback",
        event_id: str | None = None,
        attempts: int = 3,
        retry_delay_seconds: float = 0.5,
        timeout_seconds: float = 1.0,
    ) -> dict[str, Any]:
        """Sign and post a payment event on a received invoice, as Kivra would.

        Every matching webhook definition gets it. Returns `event_id` and
        `deliveries` (url, event_id, body, attempts with headers, status and
        duration, delivered).
        """
        body = {
            "content_key": content_key,
            "type": kind,
            "payment_event": payment_event,
            "payment_type": payment_type,
            "amount": amount,
            "event_id": event_id,
            "attempts": attempts,
            "retry_delay_seconds": retry_delay_seconds,
            "timeout_seconds": timeout_seconds,
        }
        result: dict[str, Any] = self._call("POST", "/payments", body)
        return result

    def webhook_deliveries(self) -> list[dict[str, Any]]:
        """List every webhook the emulator posted, with each attempt."""
        result: list[dict[str, Any]] = self._call("GET", "/webhook-deliveries")
        return result

    def resend_webhook(self, delivery_id: int, *, attempts: int = 1) -> dict[str, Any]:
        """Post a delivery's event again: same id and body, a fresh signature."""
        result: dict[str, Any] = self._call(
            "POST", f"/webhook-deliveries/{delivery_id}/resend", {"attempts": attempts}
        )
        return result

    def webhook_definitions(self) -> list[dict[str, Any]]:
        """List every client's webhook definitions (secrets' lifetimes, not values)."""
        result: list[dict[str, Any]] = self._call("GET", "/webhook-definitions")
        return result

    def set_payment_checks(
        self, *, ocr_luhn: bool | None = None, giro_check_digit: bool | None = None
    ) -> dict[str, bool]:
        """Switch the OCR Luhn check (off by default) or the giro check digit (on)."""
        result: dict[str, bool] = self._call(
            "POST",
            "/payment-checks",
            {"ocr_luhn": ocr_luhn, "giro_check_digit": giro_check_digit},
        )
        return result

    def reset(self) -> None:
        """Forget tenants, recipients, contents, tokens and faults; keep clients."""
        self._call("POST", "/reset")
