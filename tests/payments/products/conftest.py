"""Commerce fixtures (see tests/payments/purchases/shop.py and racing.py)."""

from tests.payments.purchases.racing import wired
from tests.payments.purchases.shop import shop

__all__ = ["shop", "wired"]
