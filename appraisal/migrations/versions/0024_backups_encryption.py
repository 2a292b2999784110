"""backups and encryption at rest: a field visit's coordinates become Fernet tokens (text),
users may be instance administrators (backups), and the instance's backup schedule

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-10 09:00:00
"""

from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

from appraisal.encryption import decrypt, encrypt
from appraisal.models.encrypted import keys_of


revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000
SIX = Decimal("0.000001")
records = sa.table(
    "activity_records",
    sa.column("id", sa.Integer),
    sa.column("latitude", sa.Text),
    sa.column("longitude", sa.Text),
)


def _rewrite(change) -> None:
    """Every located record's coordinates through `change(text, keys)`, a batch at a time
    (the keys are the app's, on the engine: `appraisal db upgrade` runs in the app)."""
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(records.c.id, records.c.latitude, records.c.longitude)
            .where(records.c.id > last, records.c.latitude.is_not(None))
            .order_by(records.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        keys = keys_of(bind.dialect)
        bind.execute(
            records.update().where(records.c.id == sa.bindparam("row_id")),
            [
                {
                    "row_id": row.id,
                    "latitude": change(row.latitude, keys),
                    "longitude": change(row.longitude, keys),
                }
                for row in rows
            ],
        )
        last = rows[-1].id


def _encrypted(text, keys) -> str:
    return encrypt(str(Decimal(str(text)).quantize(SIX)), keys)


def _decrypted(token, keys) -> str:
    return decrypt(token, keys)


def upgrade() -> None:
    with op.batch_alter_table('activity_records', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_activity_records_latitude'), type_='check')
        batch_op.drop_constraint(op.f('ck_activity_records_longitude'), type_='check')
        batch_op.alter_column(
            'latitude', existing_type=sa.Numeric(9, 6), type_=sa.Text(),
            postgresql_using='latitude::text',
        )
        batch_op.alter_column(
            'longitude', existing_type=sa.Numeric(9, 6), type_=sa.Text(),
            postgresql_using='longitude::text',
        )
    _rewrite(_encrypted)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('instance_admin', sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    op.create_table(
        'backup_schedule',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('every', sa.String(length=10), nullable=False),
        sa.Column('keep', sa.Integer(), nullable=False),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("every IN ('never', 'daily', 'weekly')", name=op.f('ck_backup_schedule_every')),
        sa.CheckConstraint('keep BETWEEN 1 AND 365', name=op.f('ck_backup_schedule_keep')),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_backup_schedule_updated_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_backup_schedule')),
    )


def downgrade() -> None:
    op.drop_table('backup_schedule')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('instance_admin')
    _rewrite(_decrypted)
    with op.batch_alter_table('activity_records', schema=None) as batch_op:
        batch_op.alter_column(
            'latitude', existing_type=sa.Text(), type_=sa.Numeric(9, 6),
            postgresql_using='latitude::numeric(9, 6)',
        )
        batch_op.alter_column(
            'longitude', existing_type=sa.Text(), type_=sa.Numeric(9, 6),
            postgresql_using='longitude::numeric(9, 6)',
        )
        batch_op.create_check_constraint(
            op.f('ck_activity_records_latitude'), 'latitude IS NULL OR latitude BETWEEN -90 AND 90'
        )
        batch_op.create_check_constraint(
            op.f('ck_activity_records_longitude'),
            'longitude IS NULL OR longitude BETWEEN -180 AND 180',
        )
