"""retention bookkeeping: when a case closed and was purged, when recordings were cleared

Revision ID: 912acc5c8735
Revises: 5b82163ca05d
Create Date: 2026-11-22 14:35:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa

import hotline.models.base
from alembic import op

revision: str = "912acc5c8735"
down_revision: str | None = "5b82163ca05d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("closed_at", hotline.models.base.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("purged_at", hotline.models.base.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(batch_op.f("ix_cases_closed_at"), ["closed_at"], unique=False)
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recordings_cleared_at", hotline.models.base.UtcDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("recordings_cleared_at")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_closed_at"))
        batch_op.drop_column("purged_at")
        batch_op.drop_column("closed_at")
