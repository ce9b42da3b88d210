"""Job kinds, for plug-ins: ``from mediaproof.queue.kinds import JobContext, kind``.

What a queued job of each kind does lives in :mod:`mediaproof.services.job_worker`
(``verify`` is built in); a module that registers more is loaded into a worker with
``mediaproof worker --plugin MODULE``. API processes and workers must know the same kinds.
"""

from __future__ import annotations

from mediaproof.services.job_worker import KINDS, JobContext, KindFn, UnknownJobKind, kind

__all__ = ["KINDS", "JobContext", "KindFn", "UnknownJobKind", "kind"]
