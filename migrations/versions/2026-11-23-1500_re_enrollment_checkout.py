"""re-enrollment checkout session and the awaiting-payment status (R-ENR-16)

An unpaid re-enrollment is `awaiting_payment` (it was `applied`, which let reports and questions
through before the fee was paid); its checkout session id is kept so the hourly job can read a
checkout left open and close it after a day. The status column is a plain string (no native
enum), so the new value needs no DDL; downgrading maps it back to `applied`.

Revision ID: 0014_re_enrollment_checkout
Revises: 0013_certificate_revocation
Create Date: 2026-11-23 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_re_enrollment_checkout"
down_revision: str | None = "0013_certificate_revocation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "enrollment", sa.Column("checkout_session_id", sa.String(length=100), nullable=True)
    )
    op.execute(
        "UPDATE enrollment e SET status = 'awaiting_payment' FROM payment_order o "
        "WHERE e.order_id = o.id AND e.status = 'applied' AND o.status <> 'paid'"
    )


def downgrade() -> None:
    op.execute("UPDATE enrollment SET status = 'applied' WHERE status = 'awaiting_payment'")
    op.drop_column("enrollment", "checkout_session_id")
