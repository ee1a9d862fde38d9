"""shares: include evidence added later, an explicit choice

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-20 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('share', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('include_later', sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Existing shares keep what they did: a share of every item went on showing what
    # was added later; a share of chosen items never did.
    op.execute("UPDATE share SET include_later = all_evidence")
    with op.batch_alter_table('share', schema=None) as batch_op:
        batch_op.alter_column('include_later', server_default=None)


def downgrade():
    with op.batch_alter_table('share', schema=None) as batch_op:
        batch_op.drop_column('include_later')
