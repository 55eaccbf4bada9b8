"""seal personal data: contacts' words and answers, callback numbers, agents' phones

Revision ID: 5b82163ca05d
Revises: 11014feb97ca
Create Date: 2026-11-22 14:30:00.000000

Existing contacts are sealed in place with the newest of HOTLINE_DATA_KEYS (or the
development key), so run it with the same environment as the application.
"""

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

import sqlalchemy as sa

from alembic import op

if TYPE_CHECKING:
    from hotline.core.crypto import Keyring

revision: str = "5b82163ca05d"
down_revision: str | None = "11014feb97ca"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _keyring() -> "Keyring":
    from hotline.core.config import load_settings
    from hotline.core.crypto import build_keyring

    return build_keyring(load_settings())


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body_enc", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("answers_enc", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("callback_number_enc", sa.Text(), nullable=True))
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone_enc", sa.Text(), nullable=True))

    bind = op.get_bind()
    old = sa.table(
        "contacts",
        sa.column("id", sa.Uuid()),
        sa.column("body", sa.Text()),
        sa.column("answers", sa.JSON()),
        sa.column("body_enc", sa.Text()),
        sa.column("answers_enc", sa.Text()),
    )
    rows = bind.execute(sa.select(old.c.id, old.c.body, old.c.answers)).all()
    if rows:
        keyring = _keyring()
        for row in rows:
            bind.execute(
                old.update()
                .where(old.c.id == row.id)
                .values(
                    body_enc=keyring.seal_optional(row.body, f"contacts.body_enc:{row.id}"),
                    answers_enc=keyring.seal_json(row.answers or {}, f"contacts.answers_enc:{row.id}"),
                )
            )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("answers")
        batch_op.drop_column("body")


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("answers", sa.JSON(), nullable=True))

    bind = op.get_bind()
    new = sa.table(
        "contacts",
        sa.column("id", sa.Uuid()),
        sa.column("body", sa.Text()),
        sa.column("answers", sa.JSON()),
        sa.column("body_enc", sa.Text()),
        sa.column("answers_enc", sa.Text()),
    )
    rows = bind.execute(sa.select(new.c.id, new.c.body_enc, new.c.answers_enc)).all()
    keyring = _keyring() if rows else None
    for row in rows:
        assert keyring is not None
        answers = keyring.open_optional(row.answers_enc, f"contacts.answers_enc:{row.id}")
        bind.execute(
            new.update()
            .where(new.c.id == row.id)
            .values(
                body=keyring.open_optional(row.body_enc, f"contacts.body_enc:{row.id}"),
                answers=json.loads(answers) if answers else {},
            )
        )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.alter_column("answers", existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column("callback_number_enc")
        batch_op.drop_column("answers_enc")
        batch_op.drop_column("body_enc")
    with op.batch_alter_table("agents", schema=None) as batch_op:
        batch_op.drop_column("phone_enc")
