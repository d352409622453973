"""The contract of the notification centre."""

from __future__ import annotations

from datetime import datetime

from shared_types.base import ApiStruct


class NotificationView(ApiStruct):
    id: int
    kind: str
    title: str
    body: str
    title_sv: str
    title_en: str
    body_sv: str
    body_en: str
    link: str | None
    created_at: datetime
    read: bool


class NotificationList(ApiStruct):
    items: list[NotificationView]
    unread: int
