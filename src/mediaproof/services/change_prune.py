"""Pruning the change sequences the indexes follow (``index_changes``: the matchers and
every API process's fingerprint index; ``case_media_changes``: the case media index and
bank), so they do not grow for ever.

Changes older than ``MEDIAPROOF_SERVICE_CHANGES_KEEP_DAYS`` (7) are deleted, the newest
always kept, and the table's horizon recorded in the same transaction
(``storage.sql.repos_changes``). A follower that was further behind than that (a
process idle for a week, a matcher snapshot older than the retention) finds itself
below the horizon and rebuilds from the rows; none misses a change. Run by the log
writer every hour (``mediaproof run log-writer``) and by ``mediaproof matcher prune``.
"""

from __future__ import annotations

import datetime as dt
import logging

from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.repos_changes import CHANGE_TABLES, Pruned, prune_changes

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 3600.0  # the log writer's pace


def prune_change_sequences(
    db: Database, keep_days: float, now: dt.datetime | None = None
) -> list[Pruned]:
    """Prune every change table of what is older than ``keep_days`` (one transaction
    per table)."""
    if keep_days < 0:
        raise ValueError("keep_days must not be negative")
    cutoff = (now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=keep_days)
    out = []
    for table in CHANGE_TABLES:
        with db.session() as s:
            out.append(prune_changes(s, table, cutoff))
    for p in out:
        if p.deleted:
            log.info("pruned %d changes of %s (horizon %d)", p.deleted, p.table, p.horizon)
    return out


__all__ = ["PRUNE_EVERY_S", "Pruned", "prune_change_sequences"]
