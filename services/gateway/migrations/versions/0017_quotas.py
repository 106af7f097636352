"""Quotas: an operator may give an account its own bounds on resumes stored, bytes stored and batches
started per hour (empty: the gateway's defaults)

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 00:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("quota_resumes", sa.Integer(), nullable=True))
    op.add_column("users", sa.Column("quota_bytes", sa.BigInteger(), nullable=True))
    op.add_column("users", sa.Column("quota_batches_per_hour", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "quota_batches_per_hour")
    op.drop_column("users", "quota_bytes")
    op.drop_column("users", "quota_resumes")
