"""Registering the product's payment webhook at Kivra and keeping its secret.

`kivra-lon register-payment-webhook --url URL` creates the product's
definition at Kivra (every payment type and event, every tenant the
product sends for) the first time, and changes it to the new URL on every
later run. Kivra answers both with a new secret, shown once; it is stored
in `payment_webhook_secrets`. A change leaves the replaced secret valid for
the 72 hours Kivra keeps signing with it, so no webhook in flight is
refused. If Kivra no longer knows the stored definition, a new one is made.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from backend.db.base import utcnow
from backend.db.session import create_db_engine, make_session_factory, transaction
from backend.invoices.webhook_models import PaymentWebhookSecret
from backend.invoices.webhooks import overlap_end
from backend.kivra import KivraClient
from backend.kivra.errors import KivraDecodeError, KivraError, KivraNotFoundError
from backend.kivra.payment_webhooks import PaymentWebhookDefinition
from backend.kivra_factory import kivra_client
from backend.settings import Settings

logger = logging.getLogger(__name__)

# How long the command waits for Kivra.
KIVRA_SECONDS = 30.0


@dataclass(frozen=True)
class Registration:
    webhook_id: str
    url: str
    # True when an existing definition was changed (its old secret overlaps).
    rotated: bool
    # True when Kivra already had it and nothing changed.
    kept: bool = False


def _current(factory: sessionmaker[Session]) -> PaymentWebhookSecret | None:
    with factory() as session:
        row = session.scalars(
            select(PaymentWebhookSecret)
            .where(PaymentWebhookSecret.valid_until.is_(None))
            .order_by(PaymentWebhookSecret.id.desc())
            .limit(1)
        ).first()
        if row is not None:
            session.expunge(row)
        return row


def _store(
    factory: sessionmaker[Session],
    definition: PaymentWebhookDefinition,
    url: str,
    now: datetime,
) -> None:
    if not definition.secret:
        raise KivraDecodeError(
            "the webhook answer has no secret", status=200, correlation_id=None
        )
    with transaction(factory) as session:
        # The same definition's secret overlaps 72 h; a vanished one's never signs.
        session.execute(
            update(PaymentWebhookSecret)
            .where(
                PaymentWebhookSecret.valid_until.is_(None),
                PaymentWebhookSecret.webhook_id == definition.id,
            )
            .values(valid_until=overlap_end(now))
        )
        session.execute(
            update(PaymentWebhookSecret)
            .where(
                PaymentWebhookSecret.webhook_id != definition.id,
                or_(
                    PaymentWebhookSecret.valid_until.is_(None),
                    PaymentWebhookSecret.valid_until > now,
                ),
            )
            .values(valid_until=now)
        )
        session.add(
            PaymentWebhookSecret(
                webhook_id=definition.id,
                url=url,
                secret=definition.secret,
                created_at=now,
            )
        )


async def register_payment_webhook(
    factory: sessionmaker[Session],
    kivra: KivraClient,
    url: str,
    *,
    keep_existing: bool = False,
) -> Registration:
    """Create or change the product's definition and store the new secret.

    With `keep_existing`, a definition Kivra still has for the same URL, whose
    secret is stored, is left as it is (no new secret).

    Raises:
        KivraError: Kivra refused or could not be reached; nothing was stored.
    """
    current = _current(factory)
    if keep_existing and current is not None and current.url == url:
        known = {d.id: d.url for d in await kivra.list_payment_webhooks()}
        if known.get(current.webhook_id) == url:
            return Registration(current.webhook_id, url, rotated=False, kept=True)
    rotated = False
    definition = None
    if current is not None:
        try:
            definition = await kivra.update_payment_webhook(current.webhook_id, url=url)
            rotated = True
        except KivraNotFoundError:
            logger.info(
                "payment_webhook.definition_gone",
                extra={"webhook_id": current.webhook_id},
            )
    if definition is None:
        definition = await kivra.create_payment_webhook(url)
    _store(factory, definition, url, utcnow())
    logger.info(
        "payment_webhook.registered",
        extra={"webhook_id": definition.id, "rotated": rotated},
    )
    return Registration(definition.id, url, rotated)


def _url_problem(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in {"https", "http"} or not parts.hostname:
        return "Adressen ska vara en fullständig URL, t.ex. https://lon.example/api/kivra/webhooks/payments."
    return None


def register_payment_webhook_command(
    settings: Settings, *, url: str, keep_existing: bool = False
) -> tuple[int, list[str]]:
    """Run the registration for the command line; return an exit code and lines."""
    problem = _url_problem(url)
    if problem is not None:
        return 1, [problem]
    engine = create_db_engine(settings.database_url)
    try:
        factory = make_session_factory(engine)

        async def run() -> Registration:
            async with asyncio.timeout(KIVRA_SECONDS), kivra_client(settings) as kivra:
                return await register_payment_webhook(
                    factory, kivra, url, keep_existing=keep_existing
                )

        try:
            done = asyncio.run(run())
        except KivraError as exc:
            return 1, [f"Kivra tog inte emot webhooken: {exc.message_sv}"]
        except TimeoutError:
            return 1, ["Kivra svarade inte i tid. Inget ändrades; försök igen."]
        if done.kept:
            return 0, [
                f"Betalnings-webhooken finns redan hos Kivra (id {done.webhook_id}): "
                f"{done.url}"
            ]
        lines = [
            f"Betalnings-webhooken är registrerad hos Kivra (id {done.webhook_id}): "
            f"{done.url}",
            "Hemligheten är sparad i databasen och visas inte.",
        ]
        if done.rotated:
            lines.append(
                "Den tidigare hemligheten godtas i 72 timmar till, som Kivra signerar med den."
            )
        if url.startswith("http://"):
            lines.append(
                "Obs: Kivra skickar bara till https-adresser; http går bara mot emulatorn."
            )
        return 0, lines
    finally:
        engine.dispose()
