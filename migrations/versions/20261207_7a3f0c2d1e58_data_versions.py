"""data versions

Revision ID: 7a3f0c2d1e58
Revises: 5e4c1a0b9d27
Create Date: 2026-12-07 02:35:00

One counter row per kind of public data (``core.versions``): caches read it instead of scanning tables.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = '7a3f0c2d1e58'
down_revision: str | Sequence[str] | None = '5e4c1a0b9d27'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        'core_data_version',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('version', sa.BigInteger(), nullable=False),
        sa.Column('changed_at', core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_core_data_version')),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table('core_data_version')
