"""named, expiring, revocable API tokens; throttle counters

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

import caseapp.database


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    # A token's old label becomes its name.
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.alter_column('label', new_column_name='name', existing_type=sa.String(length=120), existing_nullable=False)
        batch_op.add_column(sa.Column('expires_at', caseapp.database.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('revoked_at', caseapp.database.UTCDateTime(), nullable=True))

    op.create_table('throttle_counter',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_at', caseapp.database.UTCDateTime(), nullable=False),
    sa.Column('expires_at', caseapp.database.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_throttle_counter'))
    )
    with op.batch_alter_table('throttle_counter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_throttle_counter_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('throttle_counter', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_throttle_counter_expires_at'))

    op.drop_table('throttle_counter')

    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('revoked_at')
        batch_op.drop_column('expires_at')
        batch_op.alter_column('name', new_column_name='label', existing_type=sa.String(length=120), existing_nullable=False)
