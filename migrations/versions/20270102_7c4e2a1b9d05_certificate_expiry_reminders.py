"""catalog: when a certificate's producer was told it is about to end (reminded once)

The column is added in place (``ALTER TABLE … ADD COLUMN``): copying ``catalog_certification`` on SQLite
would be needless work.

Revision ID: 7c4e2a1b9d05
Revises: e906921d62c9
Create Date: 2027-01-02 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "7c4e2a1b9d05"
down_revision: str | Sequence[str] | None = "e906921d62c9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the column."""
    op.add_column("catalog_certification", sa.Column("expiry_reminded_at", core.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    """Drop the column (in place on SQLite as well)."""
    with op.batch_alter_table("catalog_certification", recreate="never") as batch_op:
        batch_op.drop_column("expiry_reminded_at")
