"""drop ix_forecast_as_of: no query looks forecasts up by time alone

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 05:15:00

Every query that orders or bounds forecasts by ``as_of`` first fixes the researcher and the
question, and ``ix_forecast_target (researcher_id, question_id, level_id, as_of)`` serves it;
the pages' and scores' reads scan the table.  The index only cost time on every write
(0.8 s of a million-forecast import on SQLite).  No table changes: backups made at 0009
restore unchanged.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_forecast_as_of", table_name="forecast")


def downgrade() -> None:
    op.create_index("ix_forecast_as_of", "forecast", ["as_of"])
