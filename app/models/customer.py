"""The correspondence-course customer registry, imported by admins (R-ID-2).

Student-support registration matches a customer number (お客様番号, 11 digits) and the latest
phone number on file. The registry is the company's record, not an account.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Model


class CustomerRecord(Model):
    __tablename__ = "customer_record"
    __table_args__ = (Index("uq_customer_record_customer_number", "customer_number", unique=True),)

    customer_number: Mapped[str] = mapped_column(String(11))
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20))  # digits only (R-ID-13)
    phone_recorded_at: Mapped[datetime]  # the newest phone on file wins on import
