"""the goal cascade: goals per period and their tree of nodes

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 12:51:56.125100
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('goals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('weight', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_goals_organization_id_organizations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goals')),
    sa.UniqueConstraint('organization_id', 'key', 'starts_on', name=op.f('uq_goals_organization_id_key_starts_on'))
    )
    with op.batch_alter_table('goals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goals_organization_id'), ['organization_id'], unique=False)

    op.create_table('goal_nodes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('employee_id', sa.Integer(), nullable=True),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('target', sa.Numeric(precision=15, scale=2), nullable=False),
    sa.Column('locked', sa.Boolean(), nullable=False),
    sa.Column('forecast', sa.Numeric(precision=15, scale=2), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('department_id IS NULL OR employee_id IS NULL', name=op.f('ck_goal_nodes_one_owner')),
    sa.CheckConstraint('target >= 0', name=op.f('ck_goal_nodes_target_not_negative')),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_goal_nodes_department_id_departments')),
    sa.ForeignKeyConstraint(['employee_id'], ['employees.id'], name=op.f('fk_goal_nodes_employee_id_employees')),
    sa.ForeignKeyConstraint(['goal_id'], ['goals.id'], name=op.f('fk_goal_nodes_goal_id_goals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lead_id'], ['employees.id'], name=op.f('fk_goal_nodes_lead_id_employees')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_goal_nodes_organization_id_organizations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['parent_id'], ['goal_nodes.id'], name=op.f('fk_goal_nodes_parent_id_goal_nodes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_goal_nodes_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_goal_nodes')),
    sa.UniqueConstraint('goal_id', 'department_id', name=op.f('uq_goal_nodes_goal_id_department_id')),
    sa.UniqueConstraint('goal_id', 'employee_id', name=op.f('uq_goal_nodes_goal_id_employee_id'))
    )
    with op.batch_alter_table('goal_nodes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goal_nodes_employee_id'), ['employee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_goal_nodes_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_goal_nodes_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_goal_nodes_parent_id'), ['parent_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('goal_nodes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goal_nodes_parent_id'))
        batch_op.drop_index(batch_op.f('ix_goal_nodes_organization_id'))
        batch_op.drop_index(batch_op.f('ix_goal_nodes_lead_id'))
        batch_op.drop_index(batch_op.f('ix_goal_nodes_employee_id'))

    op.drop_table('goal_nodes')
    with op.batch_alter_table('goals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goals_organization_id'))

    op.drop_table('goals')
