"""account session generations, e-mail verification, e-mail-only notifications

``core_user.session_token`` is the generation of a user's sessions: Flask-Login keeps it in the session and the
"keep me signed in" cookie, and log-out, a password change or a role change replace it, which ends every
session of the user on every device. Existing users get a random one each (their current sessions end once,
at this upgrade). ``core_user.email_verified_at`` records when the address was confirmed through the e-mailed
link; existing accounts start unconfirmed (roles they hold stay; new roles wait for confirmation).
``shop_notification.email_only`` marks messages that are e-mailed but never shown in the inbox.

Revision ID: bdf0618376b7
Revises: 7a3f0c2d1e58
Create Date: 2026-11-24 10:00:00.000000
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = 'bdf0618376b7'
down_revision: str | Sequence[str] | None = '7a3f0c2d1e58'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('core_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_verified_at', core.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=True))
    users = sa.table('core_user', sa.column('id', sa.Integer()), sa.column('session_token', sa.String(64)))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(
            users.update().where(users.c.id == user_id).values(session_token=secrets.token_urlsafe(24))
        )
    with op.batch_alter_table('core_user', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=64), nullable=False)
    with op.batch_alter_table('shop_notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_only', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('shop_notification', schema=None) as batch_op:
        batch_op.drop_column('email_only')
    with op.batch_alter_table('core_user', schema=None) as batch_op:
        batch_op.drop_column('session_token')
        batch_op.drop_column('email_verified_at')
