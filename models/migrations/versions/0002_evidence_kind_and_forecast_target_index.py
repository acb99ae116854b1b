"""evidence kind and forecast target index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 18:49:41.332485
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='other', nullable=False))

    with op.batch_alter_table('forecast', schema=None) as batch_op:
        batch_op.create_index('ix_forecast_target', ['researcher_id', 'question_id', 'level_id', 'as_of'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('forecast', schema=None) as batch_op:
        batch_op.drop_index('ix_forecast_target')

    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_column('kind')

