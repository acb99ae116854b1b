"""researchers and question links keep numbered revisions with their author

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 15:00:00

Adds ``revision``, ``updated_at`` and ``updated_by`` to ``researcher`` and ``question_link``,
as 0009 did for evidence and capability levels, so a rename, an e-mail binding, a delete and
a restore each say who made them.  Every row is kept.  A researcher that an import already
renamed (its earlier versions are in ``revision`` under entity ``researcher``, numbered 1, 2,
…) gets the next number and the author and time of its latest replacement; any other row is
version 1, written before authors were recorded (time unknown, author "").

The columns only add to the tables and have defaults, so a backup made at 0009–0011 still
restores (:data:`models.store.backup.BACKUPS_READ_SINCE`).
"""

from collections.abc import Sequence

from models.migrations.versioned import add_version_columns, drop_version_columns

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = {"researcher": "researcher", "question_link": "question_link"}  # table -> revision entity


def upgrade() -> None:
    add_version_columns(TABLES)


def downgrade() -> None:
    drop_version_columns(TABLES)
