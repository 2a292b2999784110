"""department-scoped roles (HR business partner, department head, auditor) and two-level
calibration (a department head's proposed grade)

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-30 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0026'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_ROLES = "role IN ('admin', 'implementer', 'manager', 'employee')"
NEW_ROLES = (
    "role IN ('admin', 'implementer', 'manager', 'employee', 'hr_partner', "
    "'department_head', 'auditor')"
)
SCOPE = (
    "(role NOT IN ('department_head', 'hr_partner') OR department_id IS NOT NULL) AND "
    "(role IN ('auditor', 'department_head', 'hr_partner') OR department_id IS NULL)"
)


def upgrade() -> None:
    with op.batch_alter_table('membership_roles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_membership_roles_department_id'), ['department_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_membership_roles_department_id_departments'), 'departments', ['department_id'], ['id'], ondelete='CASCADE')
        batch_op.drop_constraint(batch_op.f('ck_membership_roles_role_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_membership_roles_role_known'), NEW_ROLES)
        batch_op.create_check_constraint(batch_op.f('ck_membership_roles_role_scope'), SCOPE)

    with op.batch_alter_table('cycles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('two_level_calibration', sa.Boolean(), server_default=sa.false(), nullable=False))

    with op.batch_alter_table('appraisals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proposed_grade', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('proposed_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('proposed_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_appraisals_proposed_by_id_users'), 'users', ['proposed_by_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('appraisals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_appraisals_proposed_by_id_users'), type_='foreignkey')
        batch_op.drop_column('proposed_by_id')
        batch_op.drop_column('proposed_reason')
        batch_op.drop_column('proposed_grade')

    with op.batch_alter_table('cycles', schema=None) as batch_op:
        batch_op.drop_column('two_level_calibration')

    op.execute(sa.text("DELETE FROM membership_roles WHERE role IN ('hr_partner', 'department_head', 'auditor')"))
    with op.batch_alter_table('membership_roles', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_membership_roles_role_scope'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_membership_roles_role_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_membership_roles_role_known'), OLD_ROLES)
        batch_op.drop_constraint(batch_op.f('fk_membership_roles_department_id_departments'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_membership_roles_department_id'))
        batch_op.drop_column('department_id')
