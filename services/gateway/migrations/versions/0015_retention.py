"""Retention: a job can be closed (its resumes are erased a set time later) or put on legal hold, and
each account may set how long closed jobs keep their resumes

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 23:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("jobs", sa.Column("legal_hold", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.add_column("users", sa.Column("retention_days", sa.Integer(), nullable=True))
    op.create_index(
        "ix_jobs_closed_at", "jobs", ["closed_at"], postgresql_where=sa.text("closed_at IS NOT NULL")
    )


def downgrade() -> None:
    op.drop_index("ix_jobs_closed_at", "jobs")
    op.drop_column("users", "retention_days")
    op.drop_column("jobs", "legal_hold")
    op.drop_column("jobs", "closed_at")
