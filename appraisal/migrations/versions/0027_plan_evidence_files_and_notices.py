"""work plan evidence: files attached to a progress update (plan_files), photos owned by a
progress update (photos.plan_update_id, so pruning leaves them), and the plan notification
kinds (proposed, returned, agreed)

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-30 13:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS_BEFORE = (
    'goals_to_confirm', 'review_to_fill', 'figures_to_enter', 'peer_invitation',
    'deadline_approaching', 'deadline_passed', 'appeal_filed', 'appeal_answered',
    'result_published', 'interview_scheduled', 'interview_to_confirm', 'plan_checkin_due',
    'records_returned',
)
KINDS_AFTER = (*KINDS_BEFORE, 'plan_proposed', 'plan_returned', 'plan_agreed')
KIND_TABLES = ('notifications', 'notification_templates')


def _kinds(kinds: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{kind}'" for kind in kinds)
    for table in KIND_TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f'ck_{table}_kind'), type_='check')
            batch_op.create_check_constraint(op.f(f'ck_{table}_kind'), f"kind IN ({listed})")


def upgrade() -> None:
    op.create_table('plan_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_update_id', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=200), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('size_bytes > 0', name=op.f('ck_plan_files_size')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_plan_files_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_update_id'], ['plan_updates.id'], name=op.f('fk_plan_files_plan_update_id_plan_updates'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_plan_files_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_files'))
    )
    with op.batch_alter_table('plan_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_files_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_files_plan_update_id'), ['plan_update_id'], unique=False)

    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.add_column(sa.Column('plan_update_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_photos_plan_update_id'), ['plan_update_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_photos_plan_update_id_plan_updates'), 'plan_updates', ['plan_update_id'], ['id'], ondelete='SET NULL')

    _kinds(KINDS_AFTER)


def downgrade() -> None:
    op.execute(
        sa.text("DELETE FROM notifications WHERE kind IN ('plan_proposed', 'plan_returned', 'plan_agreed')")
    )
    op.execute(
        sa.text("DELETE FROM notification_templates WHERE kind IN ('plan_proposed', 'plan_returned', 'plan_agreed')")
    )
    _kinds(KINDS_BEFORE)
    with op.batch_alter_table('photos', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_photos_plan_update_id_plan_updates'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_photos_plan_update_id'))
        batch_op.drop_column('plan_update_id')

    with op.batch_alter_table('plan_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_files_plan_update_id'))
        batch_op.drop_index(batch_op.f('ix_plan_files_organization_id'))

    op.drop_table('plan_files')
