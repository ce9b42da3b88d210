"""The app factory: one instance, one job worker, one rate limiter per process (whose
buckets may live in the database, shared by every process)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from itsdangerous import URLSafeSerializer
from starlette.concurrency import run_in_threadpool

from mediaproof import __version__
from mediaproof.analysis.compute import ProcessCompute, make_compute
from mediaproof.api.bodylimit import BodyLimitMiddleware
from mediaproof.api.case_deps import resume_analyses
from mediaproof.api.deps import AppContext, enforce_access
from mediaproof.api.errors import install_error_handlers
from mediaproof.api.headers import SecurityHeadersMiddleware
from mediaproof.api.logs import AccessLogMiddleware
from mediaproof.api.openapi_errors import document_access_errors
from mediaproof.api.ratelimit import BucketSpec, DatabaseRateLimiter, Limiter, RateLimiter
from mediaproof.api.routers import (
    accounts,
    assets,
    cases,
    exchange,
    hash_lists,
    health,
    likeness,
    screening,
    softbinding,
    tlog,
    uploads_check,
    verify,
)
from mediaproof.config import Settings
from mediaproof.services import notice_media
from mediaproof.services.accounts import instance_secret
from mediaproof.services.cases.runtime import OutboxWorker, case_service, close_case_service
from mediaproof.services.exchange_pull import PullScheduler
from mediaproof.services.instance import Instance
from mediaproof.services.jobs import JobRunner, job_blobs
from mediaproof.services.log_proofs import LogInclusionProofs
from mediaproof.services.public_verify import clear_stale_uploads
from mediaproof.services.publishing import recover_at_startup
from mediaproof.services.queued_rounds import EXCHANGE_PULL, OUTBOX_DELIVER, RoundQueue
from mediaproof.services.releases import InclusionProofSource
from mediaproof.services.result_images import ResultImages
from mediaproof.services.softbinding import SoftBindingResolver, default_resolver
from mediaproof.web import case_pages, exchange_pages, likeness_pages, pages

STATIC = Path(__file__).resolve().parents[1] / "web" / "static"
# how long a start waits for the fingerprint index before answering (503 on /readyz
# after that until it is in): a small registry is ready at once, a large one loads on
START_WAIT_S = 2.0

DESCRIPTION = """Verify any file; sign and register official media; resolve stripped copies
to their credentials (C2PA Soft Binding Resolution API).

Errors always have the shape `{"error": {"code", "message", "hint"}}`. See docs/api.md."""


def _limiter(inst: Instance, specs: dict[str, BucketSpec]) -> Limiter:
    """Buckets in this process, or in the database every API process shares."""
    store = inst.settings.service.rate_store
    if store == "auto":
        store = "database" if inst.db.engine.dialect.name == "postgresql" else "memory"
    if store == "database":
        return DatabaseRateLimiter(inst.db, specs)
    return RateLimiter(specs)


def _jobs(inst: Instance) -> tuple[JobRunner, ResultImages]:
    """Jobs in the database; run by this process, or by workers when a broker is set
    (Celery is imported only then: the single-box default makes no network call). Their
    uploads and the result images share one store beside the registry's, on the
    instance's open blob store (one S3 client per process, not one per user of it)."""
    blobs = job_blobs(inst.settings, inst.blob_store)
    settings = inst.settings
    dispatch = None
    if settings.broker_url is not None:
        from mediaproof.queue.publish import Publisher

        dispatch = Publisher(settings)
    svc = settings.service
    runner = JobRunner(
        inst.db, svc.job_keep_s, svc.max_pending_jobs, blobs=blobs, dispatch=dispatch
    )
    return runner, ResultImages(inst.db, blobs, svc.job_keep_s)


def create_app(
    settings: Settings,
    *,
    resolver: Callable[[Instance], SoftBindingResolver] | None = None,
    proofs: Callable[[Instance], InclusionProofSource] | None = None,
) -> FastAPI:
    """The HTTP service on the instance ``settings`` describe.

    Plug-ins are built from the opened instance: ``resolver`` answers soft-binding
    lookups (default: SHA-256, PDQ and our watermark; combine schemes with
    ``ResolverChain``), ``proofs``
    provides transparency-log inclusion proofs (default: the instance's own log, read-only).
    """
    inst = Instance(settings)
    clear_stale_uploads(inst)
    svc = settings.service
    compute = make_compute(
        svc.analysis_processes,
        settings.limits.max_pixels,
        svc.analysis_per_client,
        svc.analysis_threads,
    )
    inst.compute = compute
    jobs, images = _jobs(inst)
    ctx = AppContext(
        inst=inst,
        jobs=jobs,
        limiter=_limiter(
            inst,
            {
                "verify": BucketSpec(svc.rate_verify_per_min, svc.rate_verify_burst),
                "lookup": BucketSpec(svc.rate_lookup_per_min, svc.rate_lookup_burst),
                "login": BucketSpec(svc.rate_login_per_min, svc.rate_login_burst),
                "notice": BucketSpec(svc.rate_notice_per_min, svc.rate_notice_burst),
                "exchange": BucketSpec(svc.rate_exchange_per_min, svc.rate_exchange_burst),
                "verify_signed": BucketSpec(
                    svc.rate_verify_signed_per_min, svc.rate_verify_signed_burst
                ),
                "notice_signed": BucketSpec(
                    svc.rate_notice_signed_per_min, svc.rate_notice_signed_burst
                ),
                "screen": BucketSpec(svc.rate_screen_per_min, svc.rate_screen_burst),
                "uploads": BucketSpec(svc.rate_uploads_per_min, svc.rate_uploads_burst),
            },
        ),
        resolver=resolver(inst) if resolver else default_resolver(inst),
        proofs=proofs(inst) if proofs else LogInclusionProofs(inst.home),
        signer=URLSafeSerializer(instance_secret(inst), salt="mediaproof-csrf"),
        images=images,
    )

    case_svc = case_service(inst)  # one per app; its events go to the instance's log
    # with a broker, the rounds of both go to the workers (services.queued_rounds)
    rounds = RoundQueue(inst.db, ctx.jobs.dispatch) if ctx.jobs.dispatch else None
    outbox = OutboxWorker(  # webhooks and reporters' e-mail
        case_svc,
        svc.webhook_interval_s,
        enqueue=(lambda: rounds(OUTBOX_DELIVER)) if rounds else None,
    )
    case_svc.on_mail = outbox.wake
    puller = PullScheduler(  # exchange peers, if any
        inst,
        svc.exchange_pull_interval_s,
        enqueue=(lambda: rounds(EXCHANGE_PULL)) if rounds else None,
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        if isinstance(compute, ProcessCompute):
            # in the background: /readyz says 503 until every worker has started and
            # warmed up (its imports and a first synthetic read), WARM_TIMEOUT_S at most
            warm = threading.Thread(target=compute.warm_up, name="mediaproof-warm", daemon=True)
            warm.start()
        # what a crash left: signing folders, log entries staged but not landed, assets
        # the log never heard of (services.publishing.recover_at_startup)
        await run_in_threadpool(recover_at_startup, inst)
        # the fingerprint index loads in the background; /readyz says 503 until it is in
        inst.fingerprint_lookup.start_loading()
        await run_in_threadpool(inst.fingerprint_lookup.wait_ready, START_WAIT_S)
        outbox.start()
        puller.start()
        # reported media past its retention goes; analyses a stop interrupted run again
        await run_in_threadpool(notice_media.sweep, inst, dt.datetime.now(dt.UTC))
        await run_in_threadpool(resume_analyses, ctx, case_svc)
        yield
        outbox.stop()
        puller.stop()
        close_case_service(case_svc)
        ctx.jobs.shutdown()
        if isinstance(compute, ProcessCompute):
            await run_in_threadpool(compute.close)
        inst.close()

    app = FastAPI(
        title="mediaproof",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        # scope="function": the deferred-CSRF check after the route runs before the answer
        dependencies=[Depends(enforce_access, scope="function")],
        # Swagger UI and ReDoc load their code from a CDN; the spec itself is enough
        docs_url=None,
        redoc_url=None,
    )
    app.state.ctx = ctx
    app.state.cases = case_svc
    install_error_handlers(app, pages.render_error)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(AccessLogMiddleware)
    for r in (
        health, verify, assets, accounts, softbinding, tlog, cases, likeness, exchange,
        screening, hash_lists, uploads_check,
    ):
        app.include_router(r.router)
    app.include_router(pages.router)
    app.include_router(case_pages.router)
    app.include_router(likeness_pages.router)
    app.include_router(exchange_pages.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    document_access_errors(app)
    return app
