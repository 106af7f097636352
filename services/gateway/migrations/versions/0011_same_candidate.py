"""The same candidate in several files of a job: contact keys, a text signature, the file it repeats

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 17:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("resumes", sa.Column("email_key", sa.String(320), nullable=True))
    op.add_column("resumes", sa.Column("phone_key", sa.String(32), nullable=True))
    op.add_column("resumes", sa.Column("text_bands", postgresql.ARRAY(sa.BigInteger()), nullable=True))
    op.add_column("resumes", sa.Column("signature", sa.LargeBinary(), nullable=True))
    # No foreign key: its check would lock the first file's row while a result is stored for another,
    # against the lock order of stored results (services.gateway.pipeline); deletion keeps it true.
    op.add_column("resumes", sa.Column("same_as", postgresql.UUID(as_uuid=True), nullable=True))
    op.create_index(
        "ix_resumes_job_email",
        "resumes",
        ["job_id", "email_key"],
        postgresql_where=sa.text("email_key IS NOT NULL"),
    )
    op.create_index(
        "ix_resumes_job_phone",
        "resumes",
        ["job_id", "phone_key"],
        postgresql_where=sa.text("phone_key IS NOT NULL"),
    )
    op.create_index("ix_resumes_text_bands", "resumes", ["text_bands"], postgresql_using="gin")
    op.create_index("ix_resumes_same_as", "resumes", ["same_as"])


def downgrade() -> None:
    op.drop_index("ix_resumes_same_as", table_name="resumes")
    op.drop_index("ix_resumes_text_bands", table_name="resumes")
    op.drop_index("ix_resumes_job_phone", table_name="resumes")
    op.drop_index("ix_resumes_job_email", table_name="resumes")
    op.drop_column("resumes", "same_as")
    op.drop_column("resumes", "signature")
    op.drop_column("resumes", "text_bands")
    op.drop_column("resumes", "phone_key")
    op.drop_column("resumes", "email_key")
