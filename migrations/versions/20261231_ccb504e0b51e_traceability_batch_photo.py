"""traceability: a batch's photo (taken with the phone camera when the batch is recorded)

``traceability_batch.photo_key`` names the stored image (catalog.images keys: 32 hex characters), or NULL.
A nullable column is added in place (``ALTER TABLE … ADD COLUMN``), never by copying the table.

Revision ID: ccb504e0b51e
Revises: 3d1f7c2a9e64
Create Date: 2026-12-30 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ccb504e0b51e"
down_revision: str | Sequence[str] | None = "3d1f7c2a9e64"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the photo column."""
    op.add_column("traceability_batch", sa.Column("photo_key", sa.String(length=32), nullable=True))


def downgrade() -> None:
    """Drop the photo column."""
    op.drop_column("traceability_batch", "photo_key")
