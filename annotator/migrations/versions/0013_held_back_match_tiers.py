"""Held back as its own state; match tiers and rejected pairs (issue 20)

Sentences the proposal budget held back were stored as dismissed; they now have their own
state, ``held_back``. The upgrade moves the budget-held claims (machine claims, dismissed,
with the budget among their reasons and no person's dismiss event) over. The claim tallies
follow by themselves: migration 0007's triggers move each row from (dismissed, '') to
(held_back, '') in the same statement. It also adds the table of "not the same claim" pairs.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# annotator.extract.BUDGET_REASON as it was written into claims' reasons.
BUDGET_REASON = "below the proposal budget"


def upgrade() -> None:
    op.create_table(
        'matchrejection',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('claim_id', sa.Integer(), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('ref_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['claim_id'], ['claim.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('claim_id', 'kind', 'ref_id'),
    )
    # Held back, not dismissed: nobody ever dismissed these (a person's dismiss leaves an
    # event with its actor). The reasons are JSON text on both databases' columns.
    op.execute(sa.text(
        "UPDATE claim SET state = 'held_back' WHERE state = 'dismissed' "
        "AND origin = 'machine' AND CAST(reasons AS TEXT) LIKE :budget "
        "AND NOT EXISTS (SELECT 1 FROM event e WHERE e.claim_id = claim.id "
        "AND e.action = 'dismiss' AND e.actor_id IS NOT NULL)"
    ).bindparams(budget=f'%"{BUDGET_REASON}"%'))


def downgrade() -> None:
    op.execute("UPDATE claim SET state = 'dismissed' WHERE state = 'held_back'")
    op.drop_table('matchrejection')
