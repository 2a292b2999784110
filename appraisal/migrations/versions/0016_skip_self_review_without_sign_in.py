"""schemes may skip the self-review for people without a sign-in

Revision ID: 0016
Revises: 0011
Create Date: 2026-11-29 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0016'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('schemes', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'skip_self_review_without_sign_in',
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table('schemes', schema=None) as batch_op:
        batch_op.drop_column('skip_self_review_without_sign_in')
