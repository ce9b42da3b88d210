"""webhook secrets sealed at rest: encrypt the secrets of existing endpoints with the
instance's secrets key (storage.secrets)

Revision ID: 0011_webhook_secrets_sealed
Revises: 0010_log_outbox
Create Date: 2026-12-06
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import context, op

from mediaproof.errors import ConfigError
from mediaproof.storage.secrets import SecretBox, is_sealed

revision = "0011_webhook_secrets_sealed"
down_revision = "0010_log_outbox"
branch_labels = None
depends_on = None

endpoints = sa.table(
    "webhook_endpoints",
    sa.column("id", sa.Integer),
    sa.column("platform", sa.String),
    sa.column("secret", sa.String),
)


def _box() -> SecretBox:
    keys_dir = context.config.attributes.get("keys_dir")
    if keys_dir is None:
        raise ConfigError(
            "sealing the stored webhook secrets needs the instance's keys folder",
            hint="open the instance (mediaproof serve or any command) to migrate it",
        )
    return SecretBox(Path(keys_dir))


def upgrade() -> None:
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.alter_column("secret", type_=sa.String(1000), existing_nullable=False)
    conn = op.get_bind()
    rows = conn.execute(sa.select(endpoints.c.id, endpoints.c.platform, endpoints.c.secret)).all()
    todo = [r for r in rows if not is_sealed(r.secret)]
    if not todo:
        return
    box = _box()
    for r in todo:
        sealed = box.seal(r.secret, aad=f"webhook:{r.platform}")
        conn.execute(sa.update(endpoints).where(endpoints.c.id == r.id).values(secret=sealed))


def downgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(endpoints.c.id, endpoints.c.platform, endpoints.c.secret)).all()
    if any(is_sealed(r.secret) for r in rows):
        box = _box()
        for r in rows:
            if is_sealed(r.secret):
                plain = box.open(r.secret, aad=f"webhook:{r.platform}")
                conn.execute(
                    sa.update(endpoints).where(endpoints.c.id == r.id).values(secret=plain)
                )
    with op.batch_alter_table("webhook_endpoints") as batch:
        batch.alter_column("secret", type_=sa.String(200), existing_nullable=False)
