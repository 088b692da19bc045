"""organization completion thresholds (R-ENR-11)

Null = the platform default; snapshotted into each enrollment at application.

Revision ID: 0012_org_thresholds
Revises: 0011_questions
Create Date: 2026-11-23 13:54:43.214474
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_org_thresholds"
down_revision: str | None = "0011_questions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("organization", sa.Column("completion_pass_average", sa.Integer(), nullable=True))
    op.add_column(
        "organization", sa.Column("completion_excellent_average", sa.Integer(), nullable=True)
    )
    op.add_column(
        "organization", sa.Column("completion_excellent_minimum", sa.Integer(), nullable=True)
    )
    op.add_column("organization", sa.Column("resubmission_pass_mark", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("organization", "resubmission_pass_mark")
    op.drop_column("organization", "completion_excellent_minimum")
    op.drop_column("organization", "completion_excellent_average")
    op.drop_column("organization", "completion_pass_average")
