"""a change marker on what a collection's sync reads, so a sync whose inputs did not
change is one cheap query instead of a read of the whole bank and log
(services/exchange_collections.py, docs/exchange.md "Sync")

``exchange_sync_inputs``: one row, ``version``, raised by triggers in the writer's own
transaction on every change a sync could see: the bank (``media_bank``), the decisions
behind it (``case_decisions``), a case's category, withdrawals, accepted contributions
(a pending one publishes nothing) and a collection's rule or signal types.
``exchange_collections.synced_inputs``: the version the collection's last sync read
(NULL: none yet, so the next sync reads everything).

The version is read before the inputs, in the sync's transaction: a change committed
before that read is in it, one committed after raises it past what the sync keeps, so
the next sync reads everything again. On PostgreSQL the triggers are deferred to the
writer's commit and raise the version once per transaction, so a writer holds the row
only while it commits (writers commit one after another there); on SQLite one writer at
a time holds the whole database anyway.

Revision ID: 0034_exchange_sync_inputs
Revises: 0033_notice_analysis_state
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0034_exchange_sync_inputs"
down_revision = "0033_notice_analysis_state"
branch_labels = None
depends_on = None

_ACCEPTED = "'accepted'"
_CONTRIB = "collection_id, signal_type, value, digest, tags, status"
# (name, table, event, condition on the row or None)
TRIGGERS = (
    ("bank_ins", "media_bank", "INSERT", None),
    ("bank_upd", "media_bank", "UPDATE", None),
    ("bank_del", "media_bank", "DELETE", None),
    ("decision_ins", "case_decisions", "INSERT", None),
    ("decision_upd", "case_decisions", "UPDATE", None),
    ("decision_del", "case_decisions", "DELETE", None),
    ("case_upd", "cases", "UPDATE OF category", None),
    ("case_del", "cases", "DELETE", None),
    ("withdrawal_ins", "exchange_withdrawals", "INSERT", None),
    ("withdrawal_upd", "exchange_withdrawals", "UPDATE", None),
    ("withdrawal_del", "exchange_withdrawals", "DELETE", None),
    ("contrib_ins", "exchange_contributions", "INSERT", f"NEW.status = {_ACCEPTED}"),
    ("contrib_upd", "exchange_contributions", f"UPDATE OF {_CONTRIB}", None),
    ("contrib_del", "exchange_contributions", "DELETE", f"OLD.status = {_ACCEPTED}"),
    ("collection_upd", "exchange_collections", "UPDATE OF rule, signal_types", None),
)
BUMP = "UPDATE exchange_sync_inputs SET version = version + 1 WHERE id = 1"
DONE = "mediaproof.sync_inputs_bumped"


def upgrade() -> None:
    op.create_table(
        "exchange_sync_inputs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("version", sa.BigInteger, nullable=False),
    )
    op.execute("INSERT INTO exchange_sync_inputs (id, version) VALUES (1, 1)")
    with op.batch_alter_table("exchange_collections") as b:
        b.add_column(sa.Column("synced_inputs", sa.BigInteger, nullable=True))
    sqlite = op.get_bind().dialect.name == "sqlite"
    if not sqlite:
        # once per transaction (a setting local to it), at its commit: the triggers are
        # deferred constraint triggers, so the row is held only while the writer commits
        # (held from the write to the commit, two writers interleaved in one thread, the
        # case media index's tests, waited on each other for ever)
        op.execute(
            "CREATE FUNCTION exchange_sync_inputs_bump() RETURNS trigger AS $$ BEGIN "
            f"IF current_setting('{DONE}', true) IS DISTINCT FROM 'yes' THEN "
            f"{BUMP}; PERFORM set_config('{DONE}', 'yes', true); END IF; "
            "RETURN NULL; END $$ LANGUAGE plpgsql"
        )
    for name, table, event, when in TRIGGERS:
        if sqlite:  # one writer at a time holds the whole database to its commit anyway
            cond = f"WHEN {when} " if when else ""
            op.execute(
                f"CREATE TRIGGER exchange_inputs_{name} AFTER {event} ON {table} "
                f"FOR EACH ROW {cond}BEGIN {BUMP}; END"
            )
        else:
            cond = f"WHEN ({when}) " if when else ""
            op.execute(
                f"CREATE CONSTRAINT TRIGGER exchange_inputs_{name} AFTER {event} ON {table} "
                f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW {cond}"
                "EXECUTE FUNCTION exchange_sync_inputs_bump()"
            )


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for name, table, _event, _when in TRIGGERS:
        op.execute(f"DROP TRIGGER exchange_inputs_{name}" + ("" if sqlite else f" ON {table}"))
    if not sqlite:
        op.execute("DROP FUNCTION exchange_sync_inputs_bump()")
    # not a batch: on SQLite it would copy the table, which 0031's triggers name
    op.execute("ALTER TABLE exchange_collections DROP COLUMN synced_inputs")
    op.drop_table("exchange_sync_inputs")
