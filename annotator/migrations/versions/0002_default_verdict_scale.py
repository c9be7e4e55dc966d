"""Seed the default verdict scale (configuration, not demo data).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# A copy, not an import: a migration must not change when models.py does.
VERDICTS = [
    ("true", "True", "#1a7f37", "True", 7, True),
    ("mostly_true", "Mostly true", "#4c9a2a", "Mostly true", 6, True),
    ("mixed", "Mixed", "#b08800", "Mixture", 5, True),
    ("misleading", "Misleading", "#d4770b", "Misleading", 4, True),
    ("mostly_false", "Mostly false", "#cf4a1a", "Mostly false", 3, True),
    ("false", "False", "#b42318", "False", 2, True),
    ("unproven", "Unproven", "#6e7781", "Unproven", 1, True),
    ("not_a_claim", "Not a claim", "#8c959f", "Not a checkable claim", None, False),
    ("opinion", "Opinion", "#8250df", "Opinion", None, False),
]


def upgrade() -> None:
    table = sa.table(
        "verdict",
        sa.column("key", sa.String),
        sa.column("label", sa.String),
        sa.column("colour", sa.String),
        sa.column("alternate_name", sa.String),
        sa.column("rating_value", sa.Integer),
        sa.column("needs_source", sa.Boolean),
        sa.column("position", sa.Integer),
    )
    op.bulk_insert(
        table,
        [
            {"key": k, "label": label, "colour": colour, "alternate_name": alt,
             "rating_value": rating, "needs_source": needs, "position": i}
            for i, (k, label, colour, alt, rating, needs) in enumerate(VERDICTS)
        ],
    )


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM verdict"))
