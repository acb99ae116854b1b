"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-23 18:49:21.781266
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('capability_level',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('position', sa.Float(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name')
    )
    op.create_table('evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('published', sa.DateTime(timezone=True), nullable=True),
    sa.Column('summary', sa.Text(), server_default='', nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('title')
    )
    op.create_table('researcher',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('handle', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('handle')
    )
    op.create_table('revision',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=20), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('changed_by', sa.String(length=80), server_default='', nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('entity', 'entity_id', 'number')
    )
    op.create_table('question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('criteria', sa.Text(), server_default='', nullable=False),
    sa.Column('tags', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolve_by', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution_level_id', sa.Integer(), nullable=True),
    sa.Column('resolution_note', sa.Text(), server_default='', nullable=False),
    sa.Column('revision', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=80), server_default='', nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['resolution_level_id'], ['capability_level.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('title')
    )
    op.create_table('forecast',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('researcher_id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('level_id', sa.Integer(), nullable=True),
    sa.Column('probability', sa.Float(), nullable=False),
    sa.Column('as_of', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reconstructed', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('rationale', sa.Text(), server_default='', nullable=False),
    sa.Column('revision', sa.Integer(), server_default='1', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=80), server_default='', nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['level_id'], ['capability_level.id'], ),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], ),
    sa.ForeignKeyConstraint(['researcher_id'], ['researcher.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('forecast', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forecast_as_of'), ['as_of'], unique=False)
        batch_op.create_index(batch_op.f('ix_forecast_question_id'), ['question_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_forecast_researcher_id'), ['researcher_id'], unique=False)

    op.create_table('question_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source_question_id', sa.Integer(), nullable=False),
    sa.Column('target_question_id', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['source_question_id'], ['question.id'], ),
    sa.ForeignKeyConstraint(['target_question_id'], ['question.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('question_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_link_source_question_id'), ['source_question_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_question_link_target_question_id'), ['target_question_id'], unique=False)

    op.create_table('forecast_evidence',
    sa.Column('forecast_id', sa.Integer(), nullable=False),
    sa.Column('evidence_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=True),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence.id'], ),
    sa.ForeignKeyConstraint(['forecast_id'], ['forecast.id'], ),
    sa.PrimaryKeyConstraint('forecast_id', 'evidence_id')
    )
    with op.batch_alter_table('forecast_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forecast_evidence_evidence_id'), ['evidence_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('forecast_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forecast_evidence_evidence_id'))

    op.drop_table('forecast_evidence')
    with op.batch_alter_table('question_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_link_target_question_id'))
        batch_op.drop_index(batch_op.f('ix_question_link_source_question_id'))

    op.drop_table('question_link')
    with op.batch_alter_table('forecast', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forecast_researcher_id'))
        batch_op.drop_index(batch_op.f('ix_forecast_question_id'))
        batch_op.drop_index(batch_op.f('ix_forecast_as_of'))

    op.drop_table('forecast')
    op.drop_table('question')
    op.drop_table('revision')
    op.drop_table('researcher')
    op.drop_table('evidence')
    op.drop_table('capability_level')
