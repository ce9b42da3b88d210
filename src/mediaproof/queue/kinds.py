"""What a queued job of each kind does, in a worker.

A kind is a function of a :class:`JobContext` that returns the job's result (plain JSON
data) or raises a :class:`~mediaproof.errors.MediaproofError`, which becomes the job's
error. Register one with :func:`kind`; a worker loads plug-in modules that register more
with ``mediaproof worker --plugin MODULE``. Every API process and worker of a deployment
must know the same kinds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediaproof.errors import MediaproofError
from mediaproof.services.instance import Instance
from mediaproof.services.public_verify import verify_upload
from mediaproof.services.result_images import ResultImages


@dataclass(frozen=True)
class JobContext:
    inst: Instance
    key: str  # the job's key (services.jobs.job_key), not its public id
    input: Path | None  # a private copy of the job's upload, deleted after the job
    params: dict[str, Any]
    progress: Callable[[str, float], None]  # (stage, fraction 0..1)
    images: ResultImages  # for pictures that go with the result (heatmaps)
    attempt: int  # 1 on the first start; more when a worker died running it


KindFn = Callable[[JobContext], dict[str, Any]]
KINDS: dict[str, KindFn] = {}


def kind(name: str) -> Callable[[KindFn], KindFn]:
    """Register ``fn`` as what jobs of kind ``name`` do."""

    def register(fn: KindFn) -> KindFn:
        KINDS[name] = fn
        return fn

    return register


class UnknownJobKind(MediaproofError):
    code = "unknown_job_kind"


@kind("verify")
def _verify(ctx: JobContext) -> dict[str, Any]:
    if ctx.input is None:
        raise MediaproofError("a verify job needs a file")
    return verify_upload(ctx.inst, ctx.input, ctx.progress, ctx.images)
