"""Where the delivery worker runs: its own process, or a thread of the API.

`run_worker` is the loop of `kivra-lon worker`; `embedded_worker_hooks`
give the API process a worker thread with its own event loop (on SQLite by
default, so one process is enough). Either way the worker has one pooled
Kivra connection and a client that makes one attempt per call, because the
outbox schedules the retries.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import httpx
import msgspec
from sqlalchemy.orm import Session, sessionmaker

from backend.delivery.worker import DeliveryWorker
from backend.invoices.worker import InvoiceWorker
from backend.kivra import KivraClient
from backend.kivra_factory import kivra_config, kivra_http_client
from backend.settings import Settings


def worker_kivra_client(settings: Settings, http: httpx.AsyncClient) -> KivraClient:
    """A client that makes one attempt per call: the outbox schedules retries."""
    config = msgspec.structs.replace(kivra_config(settings), retry_attempts=1)
    return KivraClient(http, config)


async def run_worker(
    settings: Settings,
    factory: sessionmaker[Session],
    stop: asyncio.Event | threading.Event,
    *,
    owner: str | None = None,
) -> None:
    """Run one worker with its own pooled Kivra connection until `stop`."""
    async with kivra_http_client(settings, sharded=True) as http:
        kivra = worker_kivra_client(settings, http)
        worker = DeliveryWorker(factory, kivra, settings, owner=owner)
        # Invoices share the process, the Kivra connection and the stop signal.
        invoices = InvoiceWorker(factory, kivra, settings, owner=owner)
        await asyncio.gather(worker.run(stop), invoices.run(stop))


class EmbeddedWorker:
    """The worker inside the API process, on a thread with its own loop."""

    def __init__(self, settings: Settings, factory: sessionmaker[Session]) -> None:
        self._settings = settings
        self._factory = factory
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(
            target=lambda: asyncio.run(
                run_worker(self._settings, self._factory, self._stop)
            ),
            name="delivery-worker",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._settings.worker_poll_seconds + 30)


def embedded_worker_wanted(settings: Settings, dialect: str) -> bool:
    """ "auto" runs the embedded worker on SQLite only; "on"/"off" force it."""
    choice = settings.embedded_worker.lower()
    if choice == "auto":
        return dialect == "sqlite"
    return choice in {"on", "true", "1", "yes"}


def embedded_worker_hooks(
    settings: Settings, factory: sessionmaker[Session]
) -> tuple[Callable[[], None], Callable[[], None]]:
    """Startup and shutdown hooks that run the worker inside the API process."""
    dialect = factory.kw["bind"].dialect.name
    worker = (
        EmbeddedWorker(settings, factory)
        if embedded_worker_wanted(settings, dialect)
        else None
    )

    def start() -> None:
        if worker is not None:
            worker.start()

    def stop() -> None:
        if worker is not None:
            worker.stop()

    return start, stop
