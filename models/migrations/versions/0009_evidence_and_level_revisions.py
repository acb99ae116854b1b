"""evidence items and capability levels keep numbered revisions with their author

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 01:00:00

Adds ``revision``, ``updated_at`` and ``updated_by`` to ``evidence`` and ``capability_level``,
as questions and forecasts have.  Every row is kept.  A row that an import already updated
(its earlier versions are in ``revision`` under entity ``evidence`` / ``capability_level``,
numbered 1, 2, …) gets the next number, and the author and time of its latest replacement;
any other row is version 1, written before authors were recorded (time unknown, author "").
"""

from collections.abc import Sequence

from models.migrations.versioned import add_version_columns, drop_version_columns

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = {"evidence": "evidence", "capability_level": "capability_level"}  # table -> revision entity


def upgrade() -> None:
    add_version_columns(TABLES)


def downgrade() -> None:
    drop_version_columns(TABLES)
