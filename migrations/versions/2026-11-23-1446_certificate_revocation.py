"""certificate revocation (R-ENR-13, R-ENR-15)

A staff re-grade that withdraws a completion revokes its certificate: it no longer verifies.

Revision ID: 0013_certificate_revocation
Revises: 0012_org_thresholds
Create Date: 2026-11-23 14:46:06.903622
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_certificate_revocation"
down_revision: str | None = "0012_org_thresholds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("certificate", sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("certificate", "revoked_at")
