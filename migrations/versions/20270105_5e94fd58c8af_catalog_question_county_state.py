"""catalog: questions keep their county and state, for the county reviewers' and administrators' lists

``catalog_question.county_id`` (the producer's county when asked) and ``state`` (open, answered, hidden: set
from the answer and hiding times) are filled in for the questions already asked, then indexed by county,
state and time, and by state and time.

Revision ID: 5e94fd58c8af
Revises: cd18cad00a6a
Create Date: 2027-01-05 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e94fd58c8af"
down_revision: str | Sequence[str] | None = "cd18cad00a6a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATE = sa.Enum("open", "answered", "hidden", name="questionstate", native_enum=False, length=16)


def upgrade() -> None:
    """Add the columns, fill them in from each question's producer and times, then require and index them."""
    with op.batch_alter_table("catalog_question") as batch_op:
        batch_op.add_column(sa.Column("county_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("state", STATE, nullable=True))
    op.execute(
        "UPDATE catalog_question SET county_id = (SELECT county_id FROM catalog_producer "
        "WHERE catalog_producer.id = catalog_question.producer_id), "
        "state = CASE WHEN hidden_at IS NOT NULL THEN 'hidden' "
        "WHEN answered_at IS NOT NULL THEN 'answered' ELSE 'open' END"
    )
    with op.batch_alter_table("catalog_question") as batch_op:
        batch_op.alter_column("county_id", existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column("state", existing_type=STATE, nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_catalog_question_county_id_core_region"), "core_region", ["county_id"], ["id"]
        )
        batch_op.create_index(
            "ix_catalog_question_county_state", ["county_id", "state", "created_at", "id"], unique=False
        )
        batch_op.create_index("ix_catalog_question_state", ["state", "created_at", "id"], unique=False)


def downgrade() -> None:
    """Drop the indexes and the columns."""
    with op.batch_alter_table("catalog_question") as batch_op:
        batch_op.drop_index("ix_catalog_question_state")
        batch_op.drop_index("ix_catalog_question_county_state")
        batch_op.drop_constraint(batch_op.f("fk_catalog_question_county_id_core_region"), type_="foreignkey")
        batch_op.drop_column("state")
        batch_op.drop_column("county_id")
