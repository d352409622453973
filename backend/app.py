"""The Litestar application factory for the product's JSON API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from litestar import Litestar, Router, get
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from backend.agreements.controller import AgreementController
from backend.auth.controller import AuthController
from backend.auth.guards import authenticate_request, provide_current_user
from backend.db.session import create_db_engine, make_session_factory
from backend.delivery.controller import DeliveryController, MinLonController
from backend.delivery.runtime import embedded_worker_hooks
from backend.deps import DbSession
from backend.errors import EXCEPTION_HANDLERS, refuse_out_of_range_ids
from backend.invoices.controller import InvoiceController
from backend.invoices.imports_controller import InvoiceImportController
from backend.invoices.send_controller import InvoiceSendController
from backend.invoices.status_controller import InvoiceStatusController
from backend.invoices.webhook_controller import receive_payment_webhook
from backend.legacy.controller import LegacyController, import_vla
from backend.notifications.controller import NotificationController
from backend.payroll.controller import PayrollController
from backend.payroll.import_controller import ImportController
from backend.settings import Settings, load_settings
from shared_types.health import Health

API_VERSION = "0.1.0"


def provide_db_session(state: State) -> Iterator[Session]:
    """One session per request, committed when the handler returns normally."""
    factory: sessionmaker[Session] = state.session_factory
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def provide_settings(state: State) -> Settings:
    settings: Settings = state.settings
    return settings


@get("/health", sync_to_thread=True)
def health(db_session: DbSession) -> Health:
    """Report whether the API and its database answer."""
    db_session.execute(text("SELECT 1"))
    return Health(
        status="ok", database=db_session.get_bind().dialect.name, version=API_VERSION
    )


def _feature_routers() -> list[Any]:
    """Every feature's route handlers, mounted under /api."""
    return [
        health,
        AuthController,
        PayrollController,
        ImportController,
        DeliveryController,
        MinLonController,
        AgreementController,
        InvoiceStatusController,
        InvoiceSendController,
        NotificationController,
        LegacyController,
        import_vla,
        InvoiceController,
        InvoiceImportController,
        receive_payment_webhook,
    ]


def create_app(settings: Settings | None = None) -> Litestar:
    """Build the API for `settings` (the environment's when not given)."""
    settings = settings or load_settings()
    engine = create_db_engine(settings.database_url)
    factory = make_session_factory(engine)

    def dispose_engine() -> None:
        engine.dispose()

    # The guard signs the user in before any body or query is read.
    api = Router(
        path="/api", route_handlers=_feature_routers(), guards=[authenticate_request]
    )
    start_worker, stop_worker = embedded_worker_hooks(settings, factory)
    return Litestar(
        route_handlers=[api],
        # Logging is configured once per process (backend/logging.py); Litestar's
        # own default would replace it and drop the events' structured extras.
        logging_config=None,
        state=State(
            {"settings": settings, "engine": engine, "session_factory": factory}
        ),
        dependencies={
            "db_session": Provide(provide_db_session),
            "settings": Provide(provide_settings, sync_to_thread=False),
            # 401 unless the request carries a live bearer token.
            "current_user": Provide(provide_current_user, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        # An id in the path beyond any row's answers 404 before a query runs.
        before_request=refuse_out_of_range_ids,
        openapi_config=OpenAPIConfig(
            title="Kivra i Lön API", version=API_VERSION, path="/api/schema"
        ),
        cors_config=CORSConfig(allow_origins=["*"], allow_headers=["*"]),
        on_startup=[start_worker],
        on_shutdown=[stop_worker, dispose_engine],
        request_max_body_size=settings.max_upload_bytes + 1024 * 1024,
    )
