"""indexes for team and chain queries (employees by manager and department, appraisals by
manager and employee) and for the outbox by robot and person

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 10:59:04.010931
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('appraisals', schema=None) as batch_op:
        batch_op.create_index('ix_appraisals_employee', ['employee_id'], unique=False)
        batch_op.create_index('ix_appraisals_manager', ['manager_id'], unique=False)

    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.create_index('ix_employees_org_department', ['organization_id', 'department_id'], unique=False)
        batch_op.create_index('ix_employees_org_manager', ['organization_id', 'manager_id'], unique=False)

    with op.batch_alter_table('notification_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_notification_outbox_robot', ['robot_id'], unique=False)
        batch_op.create_index('ix_notification_outbox_user', ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('notification_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_outbox_user')
        batch_op.drop_index('ix_notification_outbox_robot')

    with op.batch_alter_table('employees', schema=None) as batch_op:
        batch_op.drop_index('ix_employees_org_manager')
        batch_op.drop_index('ix_employees_org_department')

    with op.batch_alter_table('appraisals', schema=None) as batch_op:
        batch_op.drop_index('ix_appraisals_manager')
        batch_op.drop_index('ix_appraisals_employee')

