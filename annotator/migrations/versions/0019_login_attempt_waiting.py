"""loginattempt.waiting: a sign-in waiting for its turn is recorded, and their number capped

Parallel sign-ins to one account from one address beyond the tries left wait for a turn,
each holding a server thread; twenty at once took every thread of a three-process server for
a second while reviewers' saves queued. Now at most as many wait as may run; the rest are
told at once to try again in a moment.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('loginattempt') as batch:
        batch.add_column(sa.Column('waiting', sa.Boolean(), nullable=False,
                                   server_default=sa.text('false')))


def downgrade() -> None:
    with op.batch_alter_table('loginattempt') as batch:
        batch.drop_column('waiting')
