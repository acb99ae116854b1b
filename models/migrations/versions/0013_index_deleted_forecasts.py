"""index the deleted forecasts by researcher

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 15:20:00

A partial index holding only soft-deleted forecasts, so that the Researchers page counts
each researcher's live forecasts as all of them (read from ``ix_forecast_target`` alone)
less the deleted ones: 1.8 s → 0.05 s at a million forecasts on SQLite.  Live forecasts
are not in it, so writing them costs nothing more.  No table changes: backups made at
0009 and later restore unchanged.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DELETED = sa.text("deleted_at IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_forecast_deleted_researcher",
        "forecast",
        ["researcher_id"],
        sqlite_where=DELETED,
        postgresql_where=DELETED,
    )


def downgrade() -> None:
    op.drop_index("ix_forecast_deleted_researcher", table_name="forecast")
