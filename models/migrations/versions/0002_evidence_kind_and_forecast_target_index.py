"""evidence kind, forecast target index, data version counter

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
    data_version = op.create_table(
        'data_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.bulk_insert(data_version, [{'id': 1, 'version': 0}])
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=20), server_default='other', nullable=False))

    with op.batch_alter_table('forecast', schema=None) as batch_op:
        batch_op.create_index('ix_forecast_target', ['researcher_id', 'question_id', 'level_id', 'as_of'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('forecast', schema=None) as batch_op:
        batch_op.drop_index('ix_forecast_target')

    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_column('kind')

    op.drop_table('data_version')

