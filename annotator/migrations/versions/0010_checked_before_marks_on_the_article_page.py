"""checked before? marks on the article page, filled by a job after each import (issue 14)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 00:30:39.950266
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('matchmark',
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('matches', sa.Integer(), nullable=False),
    sa.Column('best_kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('best_label', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('probability', sa.Float(), nullable=False),
    sa.Column('computed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claim.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('claim_id')
    )


def downgrade() -> None:
    op.drop_table('matchmark')
