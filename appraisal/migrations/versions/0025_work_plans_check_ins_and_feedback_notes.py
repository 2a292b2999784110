"""work plans (items, progress updates), 1:1 check-ins, feedback notes and requests, and
the organization's setting that lets HR admins read check-ins

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-30 12:50:45.144081
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('checkins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employee_id', sa.Integer(), nullable=False),
    sa.Column('manager_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('agenda', sa.Text(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('blockers', sa.Text(), nullable=False),
    sa.Column('actions', sa.Text(), nullable=False),
    sa.Column('next_on', sa.Date(), nullable=True),
    sa.Column('reminded_for', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_checkins_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['employee_id'], ['employees.id'], name=op.f('fk_checkins_employee_id_employees'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['manager_id'], ['employees.id'], name=op.f('fk_checkins_manager_id_employees'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_checkins_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkins'))
    )
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.create_index('ix_checkins_org_employee', ['organization_id', 'employee_id'], unique=False)
        batch_op.create_index('ix_checkins_org_next', ['organization_id', 'next_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkins_organization_id'), ['organization_id'], unique=False)

    op.create_table('feedback_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('asked_id', sa.Integer(), nullable=False),
    sa.Column('about_id', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['about_id'], ['employees.id'], name=op.f('fk_feedback_requests_about_id_employees'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['asked_id'], ['users.id'], name=op.f('fk_feedback_requests_asked_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_feedback_requests_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_feedback_requests_requester_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_requests'))
    )
    with op.batch_alter_table('feedback_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feedback_requests_asked_id'), ['asked_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_requests_organization_id'), ['organization_id'], unique=False)

    op.create_table('work_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employee_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('proposed_by', sa.String(length=10), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('employee_agreed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('manager_agreed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('self_assessment', sa.Text(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('rating_comment', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("period IN ('month', 'quarter')", name=op.f('ck_work_plans_period')),
    sa.CheckConstraint("proposed_by IN ('employee', 'manager')", name=op.f('ck_work_plans_proposed_by')),
    sa.CheckConstraint("state IN ('draft', 'proposed', 'returned', 'agreed', 'self_assessed', 'closed')", name=op.f('ck_work_plans_state')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_work_plans_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['employee_id'], ['employees.id'], name=op.f('fk_work_plans_employee_id_employees'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_work_plans_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_plans')),
    sa.UniqueConstraint('organization_id', 'employee_id', 'period', 'starts_on', name=op.f('uq_work_plans_organization_id_employee_id_period_starts_on'))
    )
    with op.batch_alter_table('work_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_plans_organization_id'), ['organization_id'], unique=False)

    op.create_table('feedback_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('indicator_id', sa.Integer(), nullable=True),
    sa.Column('visibility', sa.String(length=10), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('praise', 'improvement')", name=op.f('ck_feedback_notes_kind')),
    sa.CheckConstraint("visibility IN ('shared', 'manager')", name=op.f('ck_feedback_notes_visibility')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_feedback_notes_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicators.id'], name=op.f('fk_feedback_notes_indicator_id_indicators'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_feedback_notes_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_id'], ['employees.id'], name=op.f('fk_feedback_notes_recipient_id_employees'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['feedback_requests.id'], name=op.f('fk_feedback_notes_request_id_feedback_requests'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feedback_notes'))
    )
    with op.batch_alter_table('feedback_notes', schema=None) as batch_op:
        batch_op.create_index('ix_feedback_notes_org_recipient', ['organization_id', 'recipient_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_feedback_notes_organization_id'), ['organization_id'], unique=False)

    op.create_table('plan_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('weight', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('measure', sa.String(length=200), nullable=False),
    sa.Column('link_kind', sa.String(length=20), nullable=True),
    sa.Column('link_ref', sa.String(length=200), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("link_kind IN ('template_item', 'appraisal_target', 'customer', 'external')", name=op.f('ck_plan_items_link_kind')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_plan_items_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['work_plans.id'], name=op.f('fk_plan_items_plan_id_work_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_items'))
    )
    with op.batch_alter_table('plan_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_items_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_items_plan_id'), ['plan_id'], unique=False)

    op.create_table('plan_updates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=True),
    sa.Column('evidence', sa.String(length=500), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_plan_updates_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['item_id'], ['plan_items.id'], name=op.f('fk_plan_updates_item_id_plan_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_plan_updates_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['plan_id'], ['work_plans.id'], name=op.f('fk_plan_updates_plan_id_work_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_updates'))
    )
    with op.batch_alter_table('plan_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_updates_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_updates_plan_id'), ['plan_id'], unique=False)

    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hr_reads_checkins', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_column('hr_reads_checkins')

    with op.batch_alter_table('plan_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_updates_plan_id'))
        batch_op.drop_index(batch_op.f('ix_plan_updates_organization_id'))

    op.drop_table('plan_updates')
    with op.batch_alter_table('plan_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_items_plan_id'))
        batch_op.drop_index(batch_op.f('ix_plan_items_organization_id'))

    op.drop_table('plan_items')
    with op.batch_alter_table('feedback_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_notes_organization_id'))
        batch_op.drop_index('ix_feedback_notes_org_recipient')

    op.drop_table('feedback_notes')
    with op.batch_alter_table('work_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_plans_organization_id'))

    op.drop_table('work_plans')
    with op.batch_alter_table('feedback_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feedback_requests_organization_id'))
        batch_op.drop_index(batch_op.f('ix_feedback_requests_asked_id'))

    op.drop_table('feedback_requests')
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkins_organization_id'))
        batch_op.drop_index('ix_checkins_org_next')
        batch_op.drop_index('ix_checkins_org_employee')

    op.drop_table('checkins')
