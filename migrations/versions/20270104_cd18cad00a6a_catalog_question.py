"""catalog: product questions (问答)

``catalog_question``: a signed-in user's public question about a product (``producer_id`` kept beside it, so
the producer's page and workbench read one index), the producer's one answer (editable), and whether it was
hidden as abusive (when, by whom, why).

Revision ID: cd18cad00a6a
Revises: c9f2b462a676
Create Date: 2027-01-02 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = "cd18cad00a6a"
down_revision: str | Sequence[str] | None = "c9f2b462a676"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the question table and its two indexes."""
    op.create_table(
        "catalog_question",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("producer_id", sa.Integer(), nullable=False),
        sa.Column("asker_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(), nullable=False),
        sa.Column("answer", sa.String(length=1000), nullable=True),
        sa.Column("answer_author_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", core.db.UTCDateTime(), nullable=True),
        sa.Column("hidden_at", core.db.UTCDateTime(), nullable=True),
        sa.Column("hidden_by_id", sa.Integer(), nullable=True),
        sa.Column("hidden_reason", sa.String(length=500), nullable=True),
        sa.Column("changed_at", core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["catalog_product.id"],
            name=op.f("fk_catalog_question_product_id_catalog_product"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["producer_id"],
            ["catalog_producer.id"],
            name=op.f("fk_catalog_question_producer_id_catalog_producer"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["asker_id"],
            ["core_user.id"],
            name=op.f("fk_catalog_question_asker_id_core_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["answer_author_id"],
            ["core_user.id"],
            name=op.f("fk_catalog_question_answer_author_id_core_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["hidden_by_id"],
            ["core_user.id"],
            name=op.f("fk_catalog_question_hidden_by_id_core_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_question")),
    )
    op.create_index(
        "ix_catalog_question_producer_open",
        "catalog_question",
        ["producer_id", "answered_at", "hidden_at", "created_at"],
    )
    op.create_index("ix_catalog_question_product_answered", "catalog_question", ["product_id", "answered_at"])


def downgrade() -> None:
    """Drop the question table (and its indexes)."""
    op.drop_index("ix_catalog_question_product_answered", table_name="catalog_question")
    op.drop_index("ix_catalog_question_producer_open", table_name="catalog_question")
    op.drop_table("catalog_question")
