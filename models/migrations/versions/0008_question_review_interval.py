"""question review interval: how often a question's estimates are due for review

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 00:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: every existing question keeps the default interval (90 days).
    # Added in place (not batch mode) so SQLite does not recreate ``question``, which other
    # tables reference.
    op.add_column("question", sa.Column("review_every_days", sa.Integer(), nullable=True))


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE question DROP COLUMN review_every_days")
    else:
        op.drop_column("question", "review_every_days")
