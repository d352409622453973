"""A webhook receiver on 127.0.0.1 that records what it is sent.

The emulator's webhook tests point definitions at it: every request's
headers and raw body are kept, and the answers it gives can be scripted
(e.g. 500 twice, then 200) to exercise Kivra's retries.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from tests.support import serve_asgi


@dataclass
class ReceivedWebhook:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    base_url: str = ""
    received: list[ReceivedWebhook] = field(default_factory=list)
    # Statuses to answer, in order; 200 once they run out.
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"{self.base_url}/hooks/kivra"

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {
            k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]
        }
        with self.lock:
            self.received.append(ReceivedWebhook(scope["path"], headers, body))
            status = self.statuses.pop(0) if self.statuses else 200
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """Serve a fresh receiver over HTTP for the duration of the block."""
    receiver = WebhookReceiver()
    with serve_asgi(receiver) as base_url:
        receiver.base_url = base_url
        yield receiver
