"""Watch a drop folder and other media sources, check what arrives for enrolled
likenesses, and raise alerts.

Sources other than the drop folder (the media of new case notices, see
``services.likeness.CaseNoticeSource``) implement :class:`MediaSource`.

``run_once()`` processes whatever is in the folder now and returns what it did, so tests
and cron jobs need no loop; ``run()`` repeats it until :meth:`Monitor.stop` is called
(the CLI wires SIGINT/SIGTERM to it). Media already analysed (same SHA-256) is skipped,
so a copy dropped twice never alerts twice. Alerts are kept in the store first (in-app)
and then sent to each configured channel; a channel failure is recorded on the alert,
never stops the others, and is tried again on later cycles with back-off (30 s doubling,
at most an hour apart, ``MAX_DELIVERY_ATTEMPTS`` tries), also after a restart. An alert
whose enrolment was deleted meanwhile is not sent again.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from mediaproof.analysis.evidence import AnalysisContext, EvidenceStatus
from mediaproof.config import Settings
from mediaproof.errors import MediaproofError
from mediaproof.likeness.alerts import AlertChannel
from mediaproof.likeness.analyzer import LikenessAnalyzer
from mediaproof.likeness.service import LikenessService, now
from mediaproof.likeness.store import Alert
from mediaproof.media.ingest import ingest_file
from mediaproof.media.sniff import MediaKind

_IGNORED_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial", "~")
MAX_DELIVERY_ATTEMPTS = 8
RETRY_BASE_S = 30.0
RETRY_CAP_S = 3600.0


def retry_delay_s(attempts: int) -> float:
    """Wait after the ``attempts``-th failed try of a channel."""
    return float(min(RETRY_CAP_S, RETRY_BASE_S * 2 ** max(0, attempts - 1)))


@dataclass(frozen=True)
class SourceItem:
    """One piece of media a source offers: ``path`` None when its bytes are not
    available (then it is listed as skipped with ``missing`` as the reason)."""

    ref: str  # where it came from, as alerts show it (e.g. "case-notice:ab12...")
    label: str  # how statements name it ("media of case notice ab12...")
    path: Path | None
    missing: str | None = None


class MediaSource(Protocol):
    """Media arriving from somewhere other than the drop folder."""

    name: str

    def poll(self) -> list[SourceItem]:
        """New items since the last poll (each offered once per process)."""
        ...

    def done(self, item: SourceItem, analysed: bool) -> None:
        """Called after an item was handled (``analysed`` False on an error)."""
        ...


@dataclass
class CycleResult:
    analysed: list[str] = field(default_factory=list)  # paths analysed this cycle
    duplicates: list[str] = field(default_factory=list)  # same SHA-256 seen before
    skipped: list[str] = field(default_factory=list)  # not an image, audio or video
    errors: dict[str, str] = field(default_factory=dict)  # path -> reason
    alerts: list[Alert] = field(default_factory=list)
    redelivered: list[str] = field(default_factory=list)  # ids of earlier alerts re-sent

    def as_dict(self) -> dict[str, Any]:
        return {
            "analysed": self.analysed,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
            "errors": self.errors,
            "alerts": [a.to_json() for a in self.alerts],
            "redelivered": self.redelivered,
        }


class Monitor:
    def __init__(
        self,
        service: LikenessService,
        settings: Settings,
        drop_dir: Path | None,
        channels: list[AlertChannel],
        *,
        sources: Sequence[MediaSource] = (),
        settle_s: float | None = None,
        report_base_url: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.service = service
        self.store = service.store
        self.settings = settings
        self.drop_dir = drop_dir
        self.sources = list(sources)
        self.channels = channels
        self.settle_s = settings.monitor.settle_s if settle_s is None else settle_s
        public = settings.service.public_url
        self.report_base_url = (
            report_base_url
            or settings.monitor.report_base_url
            # the service's own report page (admins only) when its address is known
            or (f"{public.rstrip('/')}/likeness/reports" if public else None)
        )
        self._stop = threading.Event()
        self._known: dict[Path, tuple[int, int]] = {}  # path -> (size, mtime_ns) handled
        self._clock = clock
        # alert id -> (when to try again, the alert); filled from the store on the first
        # cycle, so failures from before a restart are retried too
        self._retry: dict[str, tuple[float, Alert]] | None = None

    def stop(self) -> None:
        self._stop.set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def run(
        self,
        poll_s: float | None = None,
        on_cycle: Callable[[CycleResult], None] | None = None,
    ) -> None:
        """Scan every ``poll_s`` seconds until :meth:`stop`; ``on_cycle`` sees each result."""
        interval = self.settings.monitor.poll_s if poll_s is None else poll_s
        while not self._stop.is_set():
            result = self.run_once()
            if on_cycle is not None:
                on_cycle(result)
            self._stop.wait(interval)

    def _candidates(self) -> list[Path]:
        if self.drop_dir is None:
            return []
        if not self.drop_dir.is_dir():
            raise MediaproofError(
                f"drop folder {self.drop_dir} does not exist",
                hint="create it or set MEDIAPROOF_MONITOR_DROP_DIR",
            )
        out = []
        for p in sorted(self.drop_dir.rglob("*")):
            if not p.is_file() or p.is_symlink() or p.name.startswith("."):
                continue
            if p.name.endswith(_IGNORED_SUFFIXES):
                continue  # still being copied in
            out.append(p)
        return out

    def run_once(self) -> CycleResult:
        result = CycleResult()
        t = self._clock()
        for path in self._candidates():
            if self._stop.is_set():
                break
            try:
                st = path.stat()
            except OSError:
                continue  # removed meanwhile
            if t - st.st_mtime < self.settle_s:
                continue  # may still be growing; next cycle
            sig = (st.st_size, st.st_mtime_ns)
            if self._known.get(path) == sig:
                continue
            self._known[path] = sig
            try:
                self._process(path, result)
            except MediaproofError as e:
                result.errors[str(path)] = str(e)
        for source in self.sources:
            for item in source.poll():
                if self._stop.is_set():
                    return result
                self._process_item(item, result)
                source.done(item, item.ref not in result.errors)
        self._redeliver_due(result)
        return result

    def _failed_channels(self, alert: Alert) -> list[AlertChannel]:
        """Channels that failed this alert and have tries left (a channel configured
        after the alert was raised is not one: old alerts are not sent to it)."""
        return [
            ch
            for ch in self.channels
            if alert.deliveries.get(ch.name, "").startswith("failed")
            and alert.attempts.get(ch.name, 0) < MAX_DELIVERY_ATTEMPTS
        ]

    def _load_retries(self) -> dict[str, tuple[float, Alert]]:
        if self._retry is None:  # first use: failures recorded before this process
            self._retry = {
                a.id: (0.0, a) for a in self.store.list_alerts() if self._failed_channels(a)
            }
        return self._retry

    def _deliver(self, alert: Alert, channels: Sequence[AlertChannel]) -> None:
        """Try each channel once, record the outcome, and schedule another try of the
        ones that failed (the alert stays in the in-app list whatever happens)."""
        for ch in channels:
            alert.attempts[ch.name] = alert.attempts.get(ch.name, 0) + 1
            try:
                ch.deliver(alert)
                alert.deliveries[ch.name] = "sent"
            except MediaproofError as e:
                tries = alert.attempts[ch.name]
                final = " (given up)" if tries >= MAX_DELIVERY_ATTEMPTS else ""
                alert.deliveries[ch.name] = f"failed after {tries} tries{final}: {e}"
        if not channels:
            return  # nothing was tried: nothing to record or schedule
        self.store.update_alert(alert)
        pending = self._failed_channels(alert)
        retry = self._load_retries()
        if pending:
            worst = max(alert.attempts.get(ch.name, 0) for ch in pending)
            retry[alert.id] = (self._clock() + retry_delay_s(worst), alert)
        else:
            retry.pop(alert.id, None)

    def _redeliver_due(self, result: CycleResult) -> None:
        if not self.channels:
            return
        retry = self._load_retries()
        t = self._clock()
        for alert_id, (due, alert) in sorted(retry.items(), key=lambda kv: kv[1][0]):
            if due > t or self._stop.is_set():
                continue
            # deleting the enrolment deletes its alerts: such an alert is not sent again
            if not any(a.id == alert_id for a in self.store.list_alerts(alert.enrolment_id)):
                del retry[alert_id]
                continue
            self._deliver(alert, self._failed_channels(alert))
            result.redelivered.append(alert_id)

    def _process_item(self, item: SourceItem, result: CycleResult) -> None:
        if item.path is None:
            result.skipped.append(f"{item.ref} ({item.missing or 'media not available'})")
            return
        try:
            self._process(item.path, result, ref=item.ref, label=item.label)
        except MediaproofError as e:
            result.errors[item.ref] = str(e)

    def _process(
        self, path: Path, result: CycleResult, *, ref: str | None = None, label: str | None = None
    ) -> None:
        """Analyse one file; ``ref`` names it in results and alerts (default: its path),
        ``label`` in statements (default: its file name)."""
        ref = ref or str(path)
        label = label or path.name
        info = ingest_file(path, self.settings.limits)
        if info.kind not in (MediaKind.IMAGE, MediaKind.AUDIO, MediaKind.VIDEO):
            result.skipped.append(ref)
            return
        if self.store.seen(info.sha256):
            result.duplicates.append(ref)
            return
        ctx = AnalysisContext(path=path, media=info, settings=self.settings)
        evidence = LikenessAnalyzer(self.service).analyze(ctx)
        created = now()
        report_id = uuid.uuid4().hex[:16]
        matches = (
            evidence.data.get("matches", []) if evidence.status is EvidenceStatus.FOUND else []
        )
        subjects = sorted({m["enrolment_id"] for m in matches})
        report = {
            "id": report_id,
            "created_at": created,
            "source": "monitor",
            "path": ref,
            "media": info.as_dict(),
            "evidence": [evidence.as_dict()],
        }
        self.store.save_report(report_id, created, report, subjects)
        result.analysed.append(ref)
        if evidence.status is EvidenceStatus.ERROR:
            # not marked seen: a copy (or this file after a restart) gets another try
            result.errors[ref] = evidence.summary
            return
        self.store.mark_seen(info.sha256, created)
        for eid in subjects:
            mine = [m for m in matches if m["enrolment_id"] == eid]
            alert = Alert(
                id=uuid.uuid4().hex[:16],
                created_at=created,
                enrolment_id=eid,
                name=mine[0]["name"],
                media_sha256=info.sha256,
                media_path=ref,
                report_id=report_id,
                statements=[
                    f"{label} {m['statement']} "
                    f"({m['modality']} score {m['score']:.2f}, threshold {m['threshold']:.2f})"
                    for m in mine
                ],
                report_url=(
                    f"{self.report_base_url.rstrip('/')}/{report_id}"
                    if self.report_base_url
                    else None
                ),
            )
            self.store.add_alert(alert)  # in-app first: it exists even if sending fails
            self._deliver(alert, self.channels)
            result.alerts.append(alert)


def channels_from_settings(settings: Settings) -> list[AlertChannel]:
    """The alert channels the operator configured (none by default)."""
    from mediaproof.likeness.alerts import EmailChannel, WebhookChannel

    m = settings.monitor
    out: list[AlertChannel] = []
    if m.smtp_host:
        if not m.smtp_from or not m.smtp_to:
            raise MediaproofError(
                "e-mail alerts need a sender and recipients",
                hint="set MEDIAPROOF_MONITOR_SMTP_FROM and MEDIAPROOF_MONITOR_SMTP_TO",
            )
        out.append(
            EmailChannel(
                m.smtp_host,
                m.smtp_port,
                m.smtp_from,
                m.smtp_to,
                username=m.smtp_username,
                password=m.smtp_password,
                starttls=m.smtp_starttls,
            )
        )
    if m.webhook_url:
        out.append(WebhookChannel(m.webhook_url, m.webhook_secret or "", retries=m.webhook_retries))
    return out
