"""drop ix_forecast_researcher_id: ix_forecast_target begins with researcher_id and serves every use

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 04:40:00

Every lookup by researcher (the pages' filters, the foreign key's check when a researcher is
removed) can use ``ix_forecast_target (researcher_id, question_id, level_id, as_of)``.  The
second index only cost time on every write: about 0.6 s of a million-forecast import on SQLite.
No table changes, so backups made at 0009 restore unchanged.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_forecast_researcher_id", table_name="forecast")


def downgrade() -> None:
    op.create_index("ix_forecast_researcher_id", "forecast", ["researcher_id"])
