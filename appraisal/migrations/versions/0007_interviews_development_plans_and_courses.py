"""interviews, development plans and courses

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 03:30:56.198731
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('courses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('where', sa.String(length=300), nullable=False),
    sa.Column('indicators', sa.JSON(), nullable=False),
    sa.Column('below', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_courses_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses'))
    )
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_organization_id'), ['organization_id'], unique=False)

    op.create_table('development_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employee_id', sa.Integer(), nullable=False),
    sa.Column('appraisal_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=3), nullable=False),
    sa.Column('goals', sa.Text(), nullable=False),
    sa.Column('resources', sa.Text(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=True),
    sa.Column('checkins', sa.JSON(), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('pip', 'idp')", name=op.f('ck_development_plans_kind')),
    sa.ForeignKeyConstraint(['appraisal_id'], ['appraisals.id'], name=op.f('fk_development_plans_appraisal_id_appraisals'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_development_plans_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['employee_id'], ['employees.id'], name=op.f('fk_development_plans_employee_id_employees')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_development_plans_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_development_plans'))
    )
    with op.batch_alter_table('development_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_development_plans_employee_id'), ['employee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_development_plans_organization_id'), ['organization_id'], unique=False)

    op.create_table('interviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appraisal_id', sa.Integer(), nullable=False),
    sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('actions', sa.Text(), nullable=False),
    sa.Column('manager_confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('employee_confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['appraisal_id'], ['appraisals.id'], name=op.f('fk_interviews_appraisal_id_appraisals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_interviews_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interviews'))
    )
    with op.batch_alter_table('interviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interviews_appraisal_id'), ['appraisal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_interviews_organization_id'), ['organization_id'], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table('interviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interviews_organization_id'))
        batch_op.drop_index(batch_op.f('ix_interviews_appraisal_id'))

    op.drop_table('interviews')
    with op.batch_alter_table('development_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_development_plans_organization_id'))
        batch_op.drop_index(batch_op.f('ix_development_plans_employee_id'))

    op.drop_table('development_plans')
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_organization_id'))

    op.drop_table('courses')
    # ### end Alembic commands ###
