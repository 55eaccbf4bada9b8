"""sms opt-outs and outbound messages

Revision ID: 876ba58d2ac2
Revises: 72042e766bbc
Create Date: 2026-11-22 14:18:53.843910
"""

from collections.abc import Sequence

import sqlalchemy as sa

import hotline.models.base
from alembic import op

revision: str = "876ba58d2ac2"
down_revision: str | None = "72042e766bbc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sms_opt_outs",
        sa.Column("caller_ref", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("opted_out_at", hotline.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("caller_ref", name=op.f("pk_sms_opt_outs")),
    )
    op.create_table(
        "outbound_messages",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("caller_ref", sa.String(length=64), nullable=True),
        sa.Column("case_id", sa.Uuid(), nullable=True),
        sa.Column("to_enc", sa.Text(), nullable=True),
        sa.Column("body_enc", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("provider_sid", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", hotline.models.base.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=64), nullable=True),
        sa.Column("created_at", hotline.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", hotline.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_outbound_messages_case_id_cases"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_messages")),
        sa.UniqueConstraint("provider_sid", name=op.f("uq_outbound_messages_provider_sid")),
    )
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbound_messages_caller_ref"), ["caller_ref"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbound_messages_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_outbound_messages_due", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbound_messages_due")
        batch_op.drop_index(batch_op.f("ix_outbound_messages_case_id"))
        batch_op.drop_index(batch_op.f("ix_outbound_messages_caller_ref"))

    op.drop_table("outbound_messages")
    op.drop_table("sms_opt_outs")
