"""Background rounds as queue tasks, when a broker is configured (issue 20 #2): an
exchange pull round (``exchange.pull``) and a round of the case outboxes, webhooks and
reporters' e-mail (``outbox.deliver``), run by ``mediaproof worker`` instead of a thread
of an API process. Without a broker the API process runs them itself, as before.

Also the analysis of a reported file (``notice.analyze``: video and long audio sent with
a notice), a job like a verify job: its file in the job blob store, the notice's id in
its parameters; a long video is split into parts as a verify job is (services.job_parts),
and the combine step runs the notice's analysis with the parts' readings.

A round is a job row (``jobs``, kind as above) with the same quorum queue, late
acknowledgement, delivery limit and dead-letter queue as an analysis, known by its key:

- a round is queued only when none of its kind is queued or running, so a stopped worker
  pool does not pile up rounds, and the schedulers of several API processes do not
  queue one each;
- a round delivered again after it finished (a worker died before acknowledging) finds its
  row ended and does nothing; one whose worker died mid-round starts over, which is safe:
  pulls resume from the stored position, and deliveries are claimed in the database.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import threading
from collections.abc import Mapping
from typing import Any

import httpx

from mediaproof.errors import MediaproofError
from mediaproof.services import notice_media
from mediaproof.services.cases.intake_form import analyse_into
from mediaproof.services.cases.runtime import OutboxWorker, case_service
from mediaproof.services.cases.service import CaseService
from mediaproof.services.exchange_pull import pull
from mediaproof.services.instance import Instance
from mediaproof.services.job_worker import JobContext, kind, split
from mediaproof.services.jobs import Dispatch, job_key, on_failed
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.repos_jobs import JobRepo

log = logging.getLogger("mediaproof.jobs")

EXCHANGE_PULL = "exchange.pull"
OUTBOX_DELIVER = "outbox.deliver"
NOTICE_ANALYZE = "notice.analyze"
MAX_OUTBOX_ROUNDS = 50  # of OutboxWorker's small batches, per task: well within its time
UNBOUNDED = 2**31  # rounds are not refused for the analyses waiting (one per kind at most)


class RoundQueue:
    """``queue(kind)`` hands a round of ``kind`` to the workers; False when one is
    queued or running already (or the broker could not take it: the next tick tries
    again)."""

    def __init__(self, db: Database, dispatch: Dispatch) -> None:
        self.repo = JobRepo(db)
        self.dispatch = dispatch

    def __call__(self, what: str) -> bool:
        if self.repo.pending_of_kind(what):
            return False
        key = job_key(f"round:{what}:{secrets.token_urlsafe(18)}")
        self.repo.create(key, what, "queue", max_pending=UNBOUNDED)
        try:
            self.dispatch(key)
        except Exception as e:
            self.repo.finish(
                key,
                error={"code": "queue_unavailable", "message": str(e)[:200], "hint": None},
            )
            log.warning("%s round not queued: %s", what, type(e).__name__)
            return False
        return True


@kind(EXCHANGE_PULL)
def _exchange_pull(ctx: JobContext) -> dict[str, Any]:
    with httpx.Client(timeout=30.0, follow_redirects=False) as client:
        results = pull(ctx.inst, client=client)
    return {"peers": [{"peer": r.peer, "status": r.status, "added": r.added} for r in results]}


_cases: dict[int, CaseService] = {}  # one case service per worker process's instance
_lock = threading.Lock()


def _case_service(inst: Instance) -> CaseService:
    with _lock:
        svc = _cases.get(id(inst))
        if svc is None:
            svc = _cases[id(inst)] = case_service(inst)
        return svc


@kind(NOTICE_ANALYZE)
def _notice_analyze(ctx: JobContext) -> dict[str, Any]:
    if ctx.input is None:
        raise MediaproofError("a notice analysis needs the reported file")
    split(ctx)  # a long video: parts, then this again in the combine, with ctx.cache
    return analyse_into(
        ctx.inst, _case_service(ctx.inst), str(ctx.params["notice_id"]), ctx.input, ctx.cache
    )


@on_failed(NOTICE_ANALYZE)
def _notice_analysis_failed(
    db: Database, params: Mapping[str, Any], error: Mapping[str, Any]
) -> None:
    """A notice's analysis failed (a malformed file, a timeout, a file that crashed its
    worker each time and was dead-lettered): the notice says so, and the next start
    does not queue its kept file again."""
    notice_id = params.get("notice_id")
    if notice_id:
        notice_media.analysis_failed(db, str(notice_id), error)


@kind(OUTBOX_DELIVER)
def _outbox_deliver(ctx: JobContext) -> dict[str, Any]:
    worker = OutboxWorker(_case_service(ctx.inst), 0.0)
    sent = 0
    for _ in range(MAX_OUTBOX_ROUNDS):
        n = worker.round()
        sent += n
        if n < worker.batch:
            break
    return {"attempted": sent, "at": dt.datetime.now(dt.UTC).isoformat()}
