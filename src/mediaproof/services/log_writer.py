"""The transparency-log writer as a process of its own (``mediaproof run log-writer``).

Every process that records an event still appends it itself, under the database's
``transparency-log-writer`` lock (services.transparency); what one of them left staged
(it died between its commit and the log, or the log was busy past the lock's timeout)
waits in the database. The log writer is the one process that lands those leftovers,
signs checkpoints covering them and publishes the checkpoint and tiles to the object
store, every ``interval_s``. Once an hour it also prunes the change sequences the
indexes follow (services.change_prune).

One writer per instance (issue 20: singletons stay single): the process holding the
``transparency-log-writer-leader`` lock writes; others started by mistake, or as warm
standbys, wait and one takes over when the holder is gone (its database session ends,
even on SIGKILL, and the lock with it).
"""

from __future__ import annotations

import logging
import threading
import time

from mediaproof.services.change_prune import PRUNE_EVERY_S, prune_change_sequences
from mediaproof.services.instance import Instance
from mediaproof.services.transparency import land_staged, recover
from mediaproof.storage.sql.locks import hold

log = logging.getLogger(__name__)
LEADER_LOCK = "transparency-log-writer-leader"


def _prune(inst: Instance) -> None:
    # a singleton's chore too (docs/matchers.md): a failure waits for the next hour
    try:
        prune_change_sequences(inst.db, inst.settings.service.changes_keep_days)
    except Exception as e:
        log.warning("log writer: pruning the change sequences failed: %s", type(e).__name__)


def run_log_writer(inst: Instance, interval_s: float, stop: threading.Event) -> None:
    """Land staged entries every ``interval_s`` until ``stop`` is set, while this process
    holds the leader lock; stand by otherwise."""
    while not stop.is_set():
        try:
            with hold(inst.db, LEADER_LOCK, timeout_s=0) as lease:
                if lease:
                    log.info("log writer: this process writes the transparency log")
                    recover(inst)  # what a crash left: unlogged assets, staged entries
                    pruned_at = -PRUNE_EVERY_S
                    while lease.check() and not stop.wait(interval_s):
                        land_staged(inst)
                        if time.monotonic() - pruned_at >= PRUNE_EVERY_S:
                            pruned_at = time.monotonic()
                            _prune(inst)
                    if not stop.is_set():
                        log.warning("log writer: lost the leader lock; standing by")
        except Exception as e:  # the database unreachable: try again next round
            log.warning("log writer: round failed: %s", type(e).__name__)
        stop.wait(interval_s)


__all__ = ["LEADER_LOCK", "run_log_writer"]
