"""Order problems."""

from __future__ import annotations

from app.kit.errors import NotFound


class OrderNotFound(NotFound):
    type = "order-not-found"
    title = {"ja": "注文が見つかりません", "en": "Order not found"}
