"""The notice the employer publishes to candidates for a job: what the tool assesses, the data it uses,
and how to ask for another process

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 23:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("candidate_notice", sa.Text(), server_default="", nullable=False))


def downgrade() -> None:
    op.drop_column("jobs", "candidate_notice")
