"""calibration, publication and appeals

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 03:23:13.821694
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('appeals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appraisal_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'upheld', 'reopened')", name=op.f('ck_appeals_status')),
    sa.ForeignKeyConstraint(['appraisal_id'], ['appraisals.id'], name=op.f('fk_appeals_appraisal_id_appraisals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_appeals_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_appeals_resolved_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeals'))
    )
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeals_appraisal_id'), ['appraisal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeals_organization_id'), ['organization_id'], unique=False)

    with op.batch_alter_table('appraisals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('override_grade', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('override_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('overridden_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_appraisals_overridden_by_id_users'), 'users', ['overridden_by_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('cycles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quotas', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('appeal_days', sa.Integer(), server_default='7', nullable=False))
        batch_op.add_column(sa.Column('calibration_locked_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table('cycles', schema=None) as batch_op:
        batch_op.drop_column('closed_at')
        batch_op.drop_column('calibration_locked_at')
        batch_op.drop_column('appeal_days')
        batch_op.drop_column('quotas')

    with op.batch_alter_table('appraisals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_appraisals_overridden_by_id_users'), type_='foreignkey')
        batch_op.drop_column('acknowledged_at')
        batch_op.drop_column('published_at')
        batch_op.drop_column('overridden_by_id')
        batch_op.drop_column('override_reason')
        batch_op.drop_column('override_grade')

    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appeals_organization_id'))
        batch_op.drop_index(batch_op.f('ix_appeals_appraisal_id'))

    op.drop_table('appeals')
    # ### end Alembic commands ###
