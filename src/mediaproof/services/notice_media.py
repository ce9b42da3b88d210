"""A notice's reported file, kept in the instance's blob store.

Reviewers see the very bytes that were reported (on the case page, never to anyone
else), and a background analysis lost to a restart can run again from them. Kept for
``MEDIAPROOF_SERVICE_NOTICE_MEDIA_DAYS`` (default 200: longer than the six-month appeal
window), then deleted by :func:`sweep` (on start-up and ``mediaproof cases sweep-media``).

Blobs are content-addressed and shared: a file is deleted only when no notice keeps it
any longer and no registered original uses the same bytes.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediaproof.errors import MediaproofError, NotFoundError
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.repos_case_media import NoticeMediaRepository
from mediaproof.storage.sql.times import aware

log = logging.getLogger(__name__)

# sniffed types a browser shows without running code; everything else is a download
INLINE = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/gif",
        "image/avif",
        "video/mp4",
        "video/webm",
        "video/quicktime",
        "audio/mpeg",
        "audio/wav",
        "audio/x-wav",
        "audio/flac",
        "audio/ogg",
        "audio/mp4",
    }
)


@dataclass(frozen=True)
class KeptMedia:
    path: Path
    mime: str  # what to answer with: the sniffed type when safe to show, else a download
    inline: bool
    filename: str


def keep(
    inst: Instance, notice_id: str, path: Path, sha256: str, mime: str | None, now: dt.datetime
) -> bool:
    """Copy the reported file into the blob store and note until when it is kept. A
    failure is logged and the notice stands without it (the receipt is already out)."""
    days = inst.settings.service.notice_media_days
    try:
        inst.blobs.put_file(path, sha256)
    except MediaproofError as e:
        log.warning("reported media not kept for notice %s: %s", notice_id, e.message)
        return False
    with inst.db.session() as s:
        NoticeMediaRepository(s).keep_until(notice_id, mime, now + dt.timedelta(days=days))
    return True


def kept_media(inst: Instance, number: str, notice_id: str, now: dt.datetime) -> KeptMedia:
    """The file of notice ``notice_id`` on case ``number``, while it is kept."""
    with inst.db.session() as s:
        row = NoticeMediaRepository(s).kept(number, notice_id)
    if row is None or row[0] is None or row[2] is None or aware(row[2]) <= now:
        raise NotFoundError(f"no kept media for notice {notice_id} on case {number}")
    sha, mime = str(row[0]), str(row[1] or "")
    path = inst.blobs.path(sha)  # NotFoundError when swept meanwhile
    inline = mime in INLINE
    ext = mime.split("/")[-1].replace("x-", "").replace("quicktime", "mov") if inline else "bin"
    return KeptMedia(
        path,
        mime if inline else "application/octet-stream",
        inline,
        f"{number}-{notice_id}.{ext}",
    )


def sweep(inst: Instance, now: dt.datetime) -> int:
    """Forget files past their retention; delete the blobs nothing else keeps. Returns
    how many notices' files were let go."""
    with inst.db.session() as s:
        # registered originals and signed releases live in the same store, by digest:
        # the repository leaves out what they (or notices still in retention) use
        count, doomed = NoticeMediaRepository(s).let_go_expired(now)
    # after the rows are committed: a crash leaves an orphan blob, never a row whose file
    # is gone
    for sha in doomed:
        inst.blobs.delete(sha)
    return count


def pending_analyses(inst: Instance, now: dt.datetime, limit: int) -> list[tuple[str, Path]]:
    """(notice id, kept file) of notices whose background analysis never arrived (the
    process stopped first): the service queues them again on start-up."""
    with inst.db.session() as s:
        rows = NoticeMediaRepository(s).pending_analyses(now, limit)
    out = []
    for nid, sha in rows:
        if inst.blobs.exists(sha):
            out.append((nid, inst.blobs.path(sha)))
    return out


# what a reviewer reads when the analysis ended with one of these (the codes the queue
# and the job service record: services.jobs, queue.tasks); other codes keep their own
# message when it names no path
KNOWN_FAILURES = {
    "analysis_timeout": "the analysis took longer than the time limit and was stopped",
    "analysis_crashed": "the analysis process stopped unexpectedly while reading this file, "
    "each time it was tried",
    "job_lost": "the worker that ran the analysis stopped on its last try",
}
MAX_MESSAGE = 300


def failure_message(error: Mapping[str, Any]) -> tuple[str, str]:
    """(code, reviewer-facing message) of a failed job's error: a fixed sentence for
    the queue's own codes, else the error's message unless it could name a file (a
    path), with no claim about the file's content."""
    code = str(error.get("code") or "internal")[:40]
    known = KNOWN_FAILURES.get(code)
    if known is not None:
        return code, known
    message = str(error.get("message") or "")
    if not message or "/" in message or "\\" in message:
        message = f"the analysis stopped with an error ({code})"
    return code, message[:MAX_MESSAGE]


def analysis_failed(db: Database, notice_id: str, error: Mapping[str, Any]) -> bool:
    """Record on the notice that its background analysis failed (a poison file that
    crashed its decoder, a malformed file, a timeout), so that its case page says so and
    the next start does not queue it again. True when recorded (False when the notice
    has its report, or is gone)."""
    code, message = failure_message(error)
    with db.session() as s:
        done = NoticeMediaRepository(s).analysis_failed(notice_id, code, message)
    if done:
        log.warning("notice %s: background analysis failed (%s)", notice_id, code)
    return done


def retry_analysis(inst: Instance, notice_id: str) -> bool:
    """Forget notice ``notice_id``'s failed analysis, so that it is queued again (the
    caller queues it, or the next start does). False when it had not failed."""
    with inst.db.session() as s:
        return NoticeMediaRepository(s).retry_analysis(notice_id)
