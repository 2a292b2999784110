"""audit log: where each event came from (address, browser, API token) and a hash chain per
organization (seq, prev_hash, hash; audit_heads); existing events are numbered and chained in
the order they were written

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from appraisal.models.audit import GENESIS, entry_hash

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

EVENTS = sa.table(
    'audit_events',
    sa.column('id', sa.Integer),
    sa.column('organization_id', sa.Integer),
    sa.column('seq', sa.Integer),
    sa.column('at', sa.DateTime(timezone=True)),
    sa.column('user_id', sa.Integer),
    sa.column('action', sa.String),
    sa.column('entity', sa.String),
    sa.column('entity_id', sa.Integer),
    sa.column('detail', sa.JSON),
    sa.column('ip', sa.String),
    sa.column('user_agent', sa.String),
    sa.column('token_name', sa.String),
    sa.column('prev_hash', sa.String),
    sa.column('hash', sa.String),
)
HEADS = sa.table(
    'audit_heads',
    sa.column('organization_id', sa.Integer),
    sa.column('seq', sa.Integer),
    sa.column('hash', sa.String),
)


def upgrade() -> None:
    op.create_table(
        'audit_heads',
        sa.Column('organization_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_audit_heads_organization_id_organizations'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('organization_id', name=op.f('pk_audit_heads')),
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('ip', sa.String(length=45), nullable=True))
        batch_op.add_column(sa.Column('user_agent', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('token_name', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))

    _chain_existing(op.get_bind())

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index('uq_audit_events_organization_id_seq', ['organization_id', 'seq'], unique=True)


def _chain_existing(connection) -> None:
    """Number and chain the events already written, per organization in id order."""
    heads: dict[int, tuple[int, str]] = {}
    rows = connection.execute(sa.select(EVENTS).order_by(EVENTS.c.id)).mappings().all()
    for row in rows:
        org_id = row['organization_id']
        seq, prev = heads.get(org_id, (0, GENESIS))
        values = dict(row, seq=seq + 1, detail=row['detail'] or {})
        digest = entry_hash(prev, values)
        connection.execute(
            EVENTS.update()
            .where(EVENTS.c.id == row['id'])
            .values(seq=seq + 1, prev_hash=prev, hash=digest, detail=values['detail'])
        )
        heads[org_id] = (seq + 1, digest)
    for org_id, (seq, digest) in heads.items():
        connection.execute(HEADS.insert().values(organization_id=org_id, seq=seq, hash=digest))


def downgrade() -> None:
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('uq_audit_events_organization_id_seq')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('token_name')
        batch_op.drop_column('user_agent')
        batch_op.drop_column('ip')
        batch_op.drop_column('seq')
    op.drop_table('audit_heads')
