"""import mappings

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 03:07:04.259525
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('import_mappings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=80), nullable=False),
    sa.Column('columns', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_import_mappings_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_mappings')),
    sa.UniqueConstraint('organization_id', 'kind', name=op.f('uq_import_mappings_organization_id_kind'))
    )
    with op.batch_alter_table('import_mappings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_mappings_organization_id'), ['organization_id'], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table('import_mappings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_mappings_organization_id'))

    op.drop_table('import_mappings')
    # ### end Alembic commands ###
