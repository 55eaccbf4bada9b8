"""statistics cell keys: sums of record hashes in the rollups

Revision ID: 5c3e7a1d9b20
Revises: 9f4015ff75e3
Create Date: 2026-12-04 19:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "5c3e7a1d9b20"
down_revision: str | None = "9f4015ff75e3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = {
    "stats_case_rollup": ("key_cases", "key_acknowledged", "key_settled", "key_met"),
    "stats_contact_rollup": ("key_contacts",),
    "stats_referral_rollup": ("key_referrals", "key_accepted", "key_completed"),
}


def upgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in columns:
                batch_op.add_column(sa.Column(name, sa.BigInteger(), server_default="0", nullable=False))
    # Rollups written before hold no keys: forget the watermarks so the next refresh rebuilds all.
    op.execute("DELETE FROM stats_refresh")


def downgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name in reversed(columns):
                batch_op.drop_column(name)
