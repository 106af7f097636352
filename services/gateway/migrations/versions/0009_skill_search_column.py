"""Skill names in a column of their own for the ranked table's text search

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 19:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGRAM_INDEXES = {
    "ix_resumes_skill_names_trgm": "skill_names",
    "ix_resumes_candidate_name_trgm": "candidate_name",
    "ix_resumes_filename_trgm": "filename",
}


def upgrade() -> None:
    # Searching the parse itself reads (and decompresses) every resume's whole parsed document; the
    # skill names alone are a few dozen bytes.
    op.add_column("resumes", sa.Column("skill_names", sa.Text(), nullable=True))
    op.execute(
        """
        UPDATE resumes SET skill_names = (
            SELECT string_agg(skill ->> 'name', ' | ')
            FROM jsonb_array_elements(CASE jsonb_typeof(parsed -> 'skills')
                                      WHEN 'array' THEN parsed -> 'skills' ELSE '[]'::jsonb END) AS skill
        )
        WHERE parsed IS NOT NULL
        """
    )
    # Where pg_trgm can be installed (it is a trusted extension: a database owner may), substring
    # search uses trigram indexes instead of reading the job's rows; without it, the narrow column.
    bind = op.get_bind()
    available = bind.execute(
        sa.text(
            "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm')"
            " AND has_database_privilege(current_database(), 'CREATE')"
        )
    ).scalar()
    if available:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, column in TRIGRAM_INDEXES.items():
            op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON resumes USING gin ({column} gin_trgm_ops)")


def downgrade() -> None:
    for name in TRIGRAM_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.drop_column("resumes", "skill_names")
