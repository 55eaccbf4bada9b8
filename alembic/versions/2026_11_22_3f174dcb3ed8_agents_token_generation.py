"""agents: token generation (sign-out everywhere revokes API bearer tokens)

Revision ID: 3f174dcb3ed8
Revises: 28f709ac76fc
Create Date: 2026-11-22 17:10:03.851703
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "3f174dcb3ed8"
down_revision: str | None = "28f709ac76fc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_generation", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("token_generation")
