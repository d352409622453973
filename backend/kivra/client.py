"""The client for Kivra's sender API: tenants, user matching, content and webhooks.

`KivraClient` offers Kivra's operations with typed arguments and results;
every request goes through `KivraTransport` (token, concurrency, retries,
typed errors). Content is sent as the exact bytes `build_content_body` made,
under Kivra's per-recipient limit.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable

import httpx
import msgspec

from backend.kivra.content import build_content_body, check_body_size
from backend.kivra.errors import (
    KivraApiError,
    KivraDecodeError,
    KivraError,
    KivraValidationError,
)
from backend.kivra.identifiers import normalise_ssn, vat_number
from backend.kivra.limits import RecipientRateLimiter
from backend.kivra.models import (
    CompanyId,
    Content,
    ContentRecipient,
    ContentResult,
    RequestAccess,
    SsnList,
    Tenant,
    TenantCreate,
    TenantCreated,
    TenantKeyItem,
)
from backend.kivra.payment_webhooks import (
    PAYMENT_EVENTS,
    PAYMENT_TYPES,
    PaymentEvent,
    PaymentType,
    PaymentWebhookCreate,
    PaymentWebhookDefinition,
    PaymentWebhookUpdate,
)
from backend.kivra.transport import KivraClientConfig, KivraTransport

logger = logging.getLogger(__name__)

_KEY = re.compile(r"^[0-9A-Za-z_-]{1,128}$")
_WEBHOOKS_PATH = "/v2/webhooks/payments"


def _check_key(key: str, what: str) -> str:
    if not _KEY.match(key):
        raise KivraValidationError(
            f"Ogiltig nyckel för {what}.", f"Invalid key for {what}.", field=what
        )
    return key


class KivraClient:
    """Kivra's sender API over an injected, pooled `httpx.AsyncClient`."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        config: KivraClientConfig,
        *,
        limiter: RecipientRateLimiter | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self._config = config
        self._limiter = limiter or RecipientRateLimiter()
        self._transport = KivraTransport(http, config, clock=clock)
        self._call = self._transport.call
        self._decode = self._transport.decode

    @property
    def token_fetches(self) -> int:
        """How many tokens this client has fetched (for operators and tests)."""
        return self._transport.token_fetches

    def invalidate_token(self) -> None:
        """Forget the token so the next call fetches one with the current scope.

        Call it after a tenant was created or an access request accepted:
        Kivra freezes a token's scope when it is issued.
        """
        self._transport.invalidate_token()

    async def authenticate(self) -> None:
        """Fetch a token now (with retries), e.g. to check the credentials."""
        await self._transport.authenticate()

    # --- tenants -------------------------------------------------------------

    async def create_tenant(self, *, name: str, orgnr: str) -> TenantCreated:
        """Create the tenant for an organisation, or adopt ours if it exists.

        Afterwards the token is dropped, since only a new token sees the
        tenant.

        Raises:
            TenantOwnedElsewhereError: another client owns the organisation's
                tenant (40915); `request_access` is the way in.
        """
        vat = vat_number(orgnr)
        body = msgspec.json.encode(
            TenantCreate(name=name, company_id=[CompanyId(name=name, orgnr=vat)])
        )
        response = await self._call("POST", "/v2/tenant", "tenant_create", content=body)
        key = response.headers.get("kivra-objkey")
        if not key:
            raise KivraDecodeError(
                "tenant answer lacks kivra-objkey",
                status=response.status_code,
                correlation_id=response.headers.get("x-correlation-id"),
            )
        self.invalidate_token()
        return TenantCreated(
            tenant_key=key,
            created=response.status_code == 201,
            tenant=self._decode(response, Tenant),
            correlation_id=response.headers.get("x-correlation-id"),
        )

    async def get_tenant(self, tenant_key: str) -> Tenant:
        """Read one tenant in our scope."""
        path = f"/v2/tenant/{_check_key(tenant_key, 'tenant_key')}"
        return self._decode(await self._call("GET", path, "tenant_get"), Tenant)

    async def list_tenants(self, *, orgnr: str | None = None) -> list[str]:
        """List the keys of tenants we manage, optionally for one organisation."""
        params = {"orgnr": vat_number(orgnr)} if orgnr else None
        response = await self._call("GET", "/v2/tenant", "tenant_list", params=params)
        return [item.key for item in self._decode(response, list[TenantKeyItem])]

    async def request_access(self, orgnr: str) -> RequestAccess:
        """Ask for access to an organisation's tenant owned by another client.

        Re-asking for the same organisation returns the same request.
        """
        body = msgspec.json.encode({"vat_number": vat_number(orgnr)})
        response = await self._call(
            "POST", "/v2/tenant/request_access", "request_access", content=body
        )
        return self._access_request(response, "")

    async def get_access_request(self, request_key: str) -> RequestAccess:
        """Poll an access request; drop the token once it is accepted."""
        path = f"/v2/tenant/request_access/{_check_key(request_key, 'request_key')}"
        response = await self._call("GET", path, "request_access_get")
        result = self._access_request(response, request_key)
        if result.accepted:
            self.invalidate_token()
        return result

    def _access_request(
        self, response: httpx.Response, known_key: str
    ) -> RequestAccess:
        result = self._decode(response, RequestAccess)
        key = response.headers.get("kivra-objkey") or known_key
        if not key and (location := response.headers.get("location")):
            key = location.rstrip("/").rsplit("/", 1)[-1]
        return msgspec.structs.replace(result, request_key=key)

    # --- recipients ----------------------------------------------------------

    async def match_ssns(self, tenant_key: str, ssns: Iterable[str]) -> set[str]:
        """Return the SSNs (12 digits) that can receive content from the tenant.

        Input is normalised and deduplicated; numbers that are not valid
        personnummer or samordningsnummer cannot receive and are left out.
        Large lists go in batches of `usermatch_batch_size`.
        """
        path = f"/v2/tenant/{_check_key(tenant_key, 'tenant_key')}/usermatch/ssn"
        wanted: dict[str, None] = {}
        invalid = 0
        for raw in ssns:
            try:
                wanted[normalise_ssn(raw)] = None
            except KivraValidationError:
                invalid += 1
        if invalid:
            logger.warning("kivra.usermatch_invalid_ssns", extra={"count": invalid})
        numbers = list(wanted)
        matched: set[str] = set()
        size = self._config.usermatch_batch_size
        for start in range(0, len(numbers), size):
            body = msgspec.json.encode(SsnList(items=numbers[start : start + size]))
            response = await self._call("POST", path, "usermatch", content=body)
            matched.update(self._decode(response, SsnList).items)
        logger.info(
            "kivra.usermatch_done",
            extra={"asked": len(numbers), "matched": len(matched)},
        )
        return matched & wanted.keys()

    async def match_vat_numbers(
        self, tenant_key: str, vat_numbers: Iterable[str]
    ) -> set[str]:
        """Return the VAT numbers (`SE` + ten digits + `01`) that can receive.

        Input is normalised (an organisation number is accepted too) and
        deduplicated; invalid numbers cannot receive and are left out.
        """
        path = f"/v2/tenant/{_check_key(tenant_key, 'tenant_key')}/companymatch/vatnr"
        wanted: dict[str, None] = {}
        for raw in vat_numbers:
            try:
                wanted[vat_number(raw)] = None
            except KivraValidationError:
                continue
        numbers = list(wanted)
        matched: set[str] = set()
        size = self._config.usermatch_batch_size
        for start in range(0, len(numbers), size):
            body = msgspec.json.encode(SsnList(items=numbers[start : start + size]))
            response = await self._call("POST", path, "companymatch", content=body)
            matched.update(self._decode(response, SsnList).items)
        return matched & wanted.keys()

    # --- content -------------------------------------------------------------

    async def send_content(self, tenant_key: str, content: Content) -> ContentResult:
        """Check, encode and send one content (see `send_content_bytes`)."""
        return await self.send_content_bytes(tenant_key, build_content_body(content))

    async def send_content_bytes(self, tenant_key: str, body: bytes) -> ContentResult:
        """Send a body built by `build_content_body`, byte for byte.

        Retries resend the same bytes, so Kivra's duplicate control can
        recognise them. Each attempt first waits for a slot under the
        per-recipient limit (50 per rolling minute).

        Raises:
            KivraValidationError: the body is over 1 MB or names no recipient.
            KivraError: Kivra refused it, or kept failing after the retries.
        """
        path = f"/v2/tenant/{_check_key(tenant_key, 'tenant_key')}/content"
        check_body_size(body)
        try:
            recipient = msgspec.json.decode(body, type=ContentRecipient)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise KivraValidationError(
                "Försändelsen är inte ett JSON-objekt.", "The content is not a JSON object.",
                field="body",
            ) from exc  # fmt: skip
        who = recipient.ssn or recipient.vat_number or recipient.email
        if not who:
            raise KivraValidationError(
                "Försändelsen saknar mottagare.",
                "The content names no recipient.",
                field="ssn",
            )

        async def wait_for_slot() -> None:
            await self._limiter.acquire(tenant_key, who)

        response = await self._call(
            "POST", path, "content", content=body, before_attempt=wait_for_slot
        )
        correlation_id = response.headers.get("x-correlation-id")
        key = response.headers.get("kivra-objkey")
        if not key:
            raise KivraDecodeError(
                "content answer lacks kivra-objkey",
                status=response.status_code,
                correlation_id=correlation_id,
            )
        result = ContentResult(
            content_key=key,
            retained=response.headers.get("kivra-retained", "").lower() == "true",
            correlation_id=correlation_id,
            status=response.status_code,
            location=response.headers.get("location"),
        )
        logger.info(
            "kivra.content_sent",
            extra={
                "content_key": key,
                "retained": result.retained,
                "correlation_id": correlation_id,
            },
        )
        return result

    # --- payment webhooks ----------------------------------------------------

    async def list_payment_webhooks(self) -> list[PaymentWebhookDefinition]:
        """List this client's payment webhook definitions (without secrets)."""
        response = await self._call("GET", _WEBHOOKS_PATH, "payment_webhook_list")
        return self._decode(response, list[PaymentWebhookDefinition])

    async def create_payment_webhook(
        self,
        url: str,
        *,
        tkey_filter: str | None = "*",
        types: Iterable[PaymentType] = PAYMENT_TYPES,
        events: Iterable[PaymentEvent] = PAYMENT_EVENTS,
    ) -> PaymentWebhookDefinition:
        """Ask Kivra to post payment events to `url`; the answer holds the secret.

        `tkey_filter` `*` means every tenant this client sends invoices for.
        Kivra only posts to public HTTPS URLs.
        """
        body = PaymentWebhookCreate(
            url=url,
            types=list(types),
            events=list(events),
            tkey_filter=tkey_filter if tkey_filter is not None else msgspec.UNSET,
        )
        return await self._webhook_answer(
            "POST", _WEBHOOKS_PATH, "payment_webhook_create", body
        )

    async def update_payment_webhook(
        self,
        webhook_id: str,
        *,
        url: str | None = None,
        tkey_filter: str | None = None,
        types: Iterable[PaymentType] | None = None,
        events: Iterable[PaymentEvent] | None = None,
    ) -> PaymentWebhookDefinition:
        """Change a definition; Kivra issues a new secret and signs with both for 72 h."""
        body = PaymentWebhookUpdate(
            url=url if url is not None else msgspec.UNSET,
            tkey_filter=tkey_filter if tkey_filter is not None else msgspec.UNSET,
            types=list(types) if types is not None else msgspec.UNSET,
            events=list(events) if events is not None else msgspec.UNSET,
        )
        path = f"{_WEBHOOKS_PATH}/{_check_key(webhook_id, 'webhook_id')}"
        return await self._webhook_answer("PATCH", path, "payment_webhook_update", body)

    async def delete_payment_webhook(self, webhook_id: str) -> None:
        """Remove a definition; Kivra stops posting to its URL."""
        path = f"{_WEBHOOKS_PATH}/{_check_key(webhook_id, 'webhook_id')}"
        await self._call("DELETE", path, "payment_webhook_delete")

    async def test_payment_webhook(self, webhook_id: str) -> None:
        """Ask Kivra to post a signed test webhook (nonsense data) to the URL."""
        path = f"{_WEBHOOKS_PATH}/{_check_key(webhook_id, 'webhook_id')}/test"
        await self._call("POST", path, "payment_webhook_test", content=b"{}")

    async def _webhook_answer(
        self,
        method: str,
        path: str,
        operation: str,
        body: PaymentWebhookCreate | PaymentWebhookUpdate,
    ) -> PaymentWebhookDefinition:
        response = await self._call(
            method, path, operation, content=msgspec.json.encode(body)
        )
        definition = self._decode(response, PaymentWebhookDefinition)
        logger.info(
            "kivra.payment_webhook_saved",
            extra={
                "operation": operation,
                "webhook_id": definition.id,
                "new_secret": definition.secret is not None,
                "correlation_id": response.headers.get("x-correlation-id"),
            },
        )
        return definition


__all__ = ["KivraApiError", "KivraClient", "KivraClientConfig", "KivraError"]
