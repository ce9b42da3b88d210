"""Uploads matched against signals pulled from peers, and our verdicts sent back.

A match never acts: it files an automated notice that opens (or joins) a case for
review, naming the source, its collection, the signal's log index and the checkpoint the
signal was proved under. Known-benign signals (a source's ``negative_class`` rows, the
operator's local negative list) suppress positive matches on the same media; a signal
whose match rate jumps is quarantined by the flood guard until a reviewer releases it.
When a reviewer decides a case such a match opened, the verdict (``confirmed`` when the
decision acts, ``false_positive`` for no action) is written to an outbox and sent to the
source's opinion route at the next pull round, retried with backoff until it answers;
an appeal that changes the verdict sends the new one, once. A match's case and its match
rows are written in one transaction, so every decided case has its verdict.
The pure rules are in :mod:`mediaproof.exchange.incoming`; docs/exchange.md describes it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from mediaproof.cases.models import NoticeCategory, NoticeInput, Outcome, Relationship
from mediaproof.errors import MediaproofError, NotFoundError, UsageError
from mediaproof.exchange.errors import PeerUnreachableError
from mediaproof.exchange.incoming import Hit, Signal, find, floods, judge, upload_keys
from mediaproof.exchange.media_signals import parse_vpdq
from mediaproof.exchange.models import SignalType, check_value, parse_enum
from mediaproof.exchange.opinions import check_reason
from mediaproof.services.cases import CaseService
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos_exchange_incoming import (
    IncomingRecord,
    IncomingRepository,
    PeerRecord,
)
from mediaproof.storage.sql.repos_exchange_verdicts import DecidedMatch
from mediaproof.storage.sql.times import aware

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from mediaproof.services.cases.results import Receipt

log = logging.getLogger(__name__)

MATCHED_TYPES = tuple(t.value for t in SignalType)  # pdq, video_md5, vpdq, chromaprint
SHOWN_VALUE = 64  # a vPDQ or Chromaprint value runs to megabytes: its head names it
ACTING = frozenset({Outcome.REMOVE.value, Outcome.LABEL.value, Outcome.RESTRICT.value})
VERDICT_RETRY_BASE_S = 30
VERDICT_RETRY_MAX_S = 3600
LOCAL = 0  # peer id of the operator's local negative list in matching


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def file_md5(path: Path) -> str:
    """python-threatexchange's ``video_md5``: the MD5 of the file's bytes."""
    h = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass(frozen=True)
class MatchResult:
    opened: tuple[dict[str, Any], ...] = ()  # hits that opened or joined a case
    suppressed: tuple[dict[str, Any], ...] = ()
    quarantined: tuple[dict[str, Any], ...] = ()
    case_number: str | None = None
    reasons: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {
            "case_number": self.case_number,
            "opened": list(self.opened),
            "suppressed": list(self.suppressed),
            "quarantined": list(self.quarantined),
            "reasons": list(self.reasons),
        }


def _category(tags: str) -> NoticeCategory:
    for t in tags.split():
        try:
            return NoticeCategory(t)
        except ValueError:
            continue
    return NoticeCategory.OTHER


def _hit_json(
    h: Hit, peers: Mapping[int, PeerRecord], rec: IncomingRecord | None
) -> dict[str, Any]:
    p = peers.get(rec.peer_id) if rec is not None else None
    logged = rec is not None and p is not None and not p.is_pytx  # a signed log's leaf
    v = h.signal.value
    return {
        "source": p.name if p is not None else "local negative list",
        "collection": p.collection if p is not None else None,
        "signal_type": h.signal.signal_type,
        "value": v if len(v) <= SHOWN_VALUE else v[:SHOWN_VALUE] + "...",
        "seq": rec.seq if rec is not None else None,
        "log_index": rec.seq - 1 if rec is not None and logged else None,
        "distance": h.distance,
        **({"detail": dict(h.detail)} if h.detail else {}),
    }


def _how(h: Hit) -> str:
    """The match in its signal's own terms, for the reviewer."""
    t = h.signal.signal_type
    if t == SignalType.VPDQ.value and h.detail:
        return (
            f"vpdq: {h.detail.get('query_match_percent', 0):g} % of the upload's frames "
            f"within 31 bits of the signal's, nearest {h.distance} bits"
        )
    if t == SignalType.CHROMAPRINT.value:
        return f"chromaprint, bit-error rate {h.distance / 1000:g} at the best alignment"
    return f"{t}, distance {h.distance}"


def _explain(hits: Sequence[tuple[Hit, IncomingRecord, PeerRecord]]) -> str:
    parts = []
    for h, rec, p in hits:
        root = (p.trusted_root or "")[:16]
        confirmed = (
            " A reviewer here confirmed this signal in an earlier case."
            if rec.review == "confirmed"
            else ""
        )
        if p.is_pytx:
            # no signed log to point at: say so rather than imply a proof
            parts.append(
                f"Automated match ({_how(h)}) to a signal pulled from exchange source "
                f"{p.name} (python-threatexchange's {p.collection} exchange, from "
                f"{rec.owner}; signal {rec.seq} here). That "
                "exchange publishes no signed log: the signal is only what its API "
                f"answered our pull.{confirmed}"
            )
            continue
        parts.append(
            f"Automated match ({_how(h)}) to a signal pulled from exchange peer {p.name} "
            f"(collection {p.collection}, published by {rec.owner}): log index "
            f"{rec.seq - 1}, proved under the peer's signed "
            f"checkpoint of size {p.trusted_size} (root {root}...).{confirmed}"
        )
    text = " ".join(parts)
    text += (
        " The signal is a third party's: nothing is applied on its strength until a "
        "reviewer here decides. A match is a lead, not proof."
    )
    if len(text) > 4900:
        text = text[:4800] + " ... (more matches: see `mediaproof exchange matches`)"
    return text


def check_upload(
    inst: Instance,
    cases: CaseService,
    *,
    sha256: str,
    fingerprints: Mapping[str, str],
    md5: str | None = None,
    content_url: str | None = None,
    location: str | None = None,
    mime: str | None = None,
    now: dt.datetime | None = None,
) -> MatchResult:
    """Match one upload against the received signals (PDQ within the bank's near
    threshold, vPDQ and Chromaprint as the bank matches them, ``video_md5`` exact) and
    the local negative list; open or join a case for review when a positive signal
    matches and nothing known-benign does."""
    now = aware(now or _now())
    keys = upload_keys(fingerprints, md5)
    if not keys:
        return MatchResult()
    settings = inst.settings.service
    with inst.db.session() as s:
        repo = IncomingRepository(s)
        peers = repo.peers_by_id()
        # the candidates through the index (services/exchange_index.py), read fresh; the
        # verdict below is find() over them, as it was over every row
        found = inst.exchange_index.candidates(repo, keys)
        received = {r.id: r for r in found.received if r.signal_type in MATCHED_TYPES}
        signals = [
            Signal(
                r.id,
                r.signal_type,
                r.value,
                r.category == "negative_class",
                r.quarantined_at is not None,
            )
            for r in received.values()
        ]
        # the local list: negative ids, apart from received signals' ids
        local = {-n.id: n for n in found.negatives if n.signal_type in MATCHED_TYPES}
        signals += [Signal(i, n.signal_type, n.value, True) for i, n in local.items()]
        verdict = judge(find(keys, signals))
        if not (verdict.positive or verdict.quarantined):
            return MatchResult()  # nothing positive (a benign match alone needs no record)
        suppressed: list[dict[str, Any]] = []
        quarantined: list[dict[str, Any]] = []
        reasons: list[str] = []
        if verdict.suppressed_by:
            why = []
            for h in verdict.suppressed_by:
                if h.signal.id < 0:
                    why.append(f"the local negative list ({local[h.signal.id].reason})")
                else:
                    r = received[h.signal.id]
                    src = peers[r.peer_id]
                    where = (
                        f"{src.collection} exchange, signal {r.seq} here"
                        if src.is_pytx
                        else f"collection {src.collection}, log index {r.seq - 1}"
                    )
                    why.append(f"a known-benign signal from {src.name} ({where})")
            reason = "suppressed by " + "; ".join(why)
            reasons.append(reason)
            for h in (*verdict.positive, *verdict.quarantined):
                r = received[h.signal.id]
                repo.add_match(
                    incoming=r,
                    peer=peers[r.peer_id],
                    distance=h.distance,
                    media_sha256=sha256,
                    outcome="suppressed",
                    reason=reason,
                    now=now,
                )
                suppressed.append(_hit_json(h, peers, r))
            log.info("exchange: a match on %s %s", sha256[:12], reason)
            return MatchResult(suppressed=tuple(suppressed), reasons=tuple(reasons))
        opening: list[tuple[Hit, IncomingRecord, PeerRecord]] = []
        since = now - dt.timedelta(seconds=settings.exchange_flood_window_s)
        for h in (*verdict.positive, *verdict.quarantined):
            r = received[h.signal.id]
            p = peers[r.peer_id]
            if h.signal.quarantined:
                repo.add_match(
                    incoming=r,
                    peer=p,
                    distance=h.distance,
                    media_sha256=sha256,
                    outcome="quarantined",
                    reason=r.quarantine_reason,
                    now=now,
                )
                quarantined.append(_hit_json(h, peers, r))
                continue
            seen = repo.distinct_media_since(r.id, since, also=sha256)
            if floods(seen, settings.exchange_flood_matches):
                reason = (
                    f"flood guard: matched {seen} different uploads within "
                    f"{settings.exchange_flood_window_s:g} s (limit "
                    f"{settings.exchange_flood_matches})"
                )
                repo.quarantine(r.id, now, reason)
                repo.add_match(
                    incoming=r,
                    peer=p,
                    distance=h.distance,
                    media_sha256=sha256,
                    outcome="quarantined",
                    reason=reason,
                    now=now,
                )
                log.warning(
                    "exchange: ALERT: signal %s/%s log index %d from %s quarantined: %s",
                    p.collection,
                    r.signal_type,
                    r.seq - 1,
                    p.name,
                    reason,
                )
                reasons.append(reason)
                quarantined.append(_hit_json(h, peers, r))
                continue
            opening.append((h, r, p))
    if not opening:
        return MatchResult(quarantined=tuple(quarantined), reasons=tuple(reasons))

    def record(s: Session, receipt: Receipt) -> None:
        # in the notice's transaction: a case this match opened always has its match
        # rows, so its verdict is derived when it is decided (no crash in between loses
        # it); a failure here files neither
        repo = IncomingRepository(s)
        for h, r, p in opening:
            repo.add_match(
                incoming=r,
                peer=p,
                distance=h.distance,
                media_sha256=sha256,
                outcome="opened",
                reason=None,
                now=now,
                case_number=receipt.case_number,
            )

    receipt = cases.file_notice(
        NoticeInput(
            category=_category(opening[0][1].tags),
            explanation=_explain(opening),
            reporter_name="",
            reporter_email="",
            relationship=Relationship.THIRD_PARTY,
            good_faith=True,
            signature="",
            media_sha256=sha256,
            content_url=content_url,
            location=location or (content_url and "unknown") or None,
            fingerprints=dict(fingerprints),
            mime=mime,
            automated=True,
        ),
        now,
        within=record,
    )
    log.info(
        "exchange: upload %s matched %d received signal(s); case %s for review",
        sha256[:12],
        len(opening),
        receipt.case_number,
    )
    return MatchResult(
        opened=tuple(_hit_json(h, {p.id: p}, r) for h, r, p in opening),
        quarantined=tuple(quarantined),
        case_number=receipt.case_number,
        reasons=tuple(reasons),
    )


def check_upload_file(
    inst: Instance,
    cases: CaseService,
    path: Path,
    *,
    sha256: str,
    fingerprints: Mapping[str, str],
    content_url: str | None = None,
    location: str | None = None,
    mime: str | None = None,
) -> MatchResult | None:
    """:func:`check_upload` for an uploaded file (the notice intake); a failure is
    logged and the notice stands (the receipt is out already)."""
    try:
        return check_upload(
            inst,
            cases,
            sha256=sha256,
            fingerprints=fingerprints,
            md5=file_md5(path),
            content_url=content_url,
            location=location,
            mime=mime,
        )
    except (MediaproofError, OSError) as e:
        log.warning("exchange: matching an upload against received signals failed: %s", e)
        return None
    except Exception:  # the receipt is out: a failure here must not turn it into a 500
        log.exception("exchange: matching an upload against received signals failed")
        return None


# --- review of received signals ------------------------------------------------------


def release(inst: Instance, peer: str, seq: int) -> dict[str, Any]:
    """A reviewer lets a quarantined signal open cases again."""
    with inst.db.session() as s:
        repo = IncomingRepository(s)
        p = repo.peer(peer)
        if p is None:
            raise NotFoundError(f"no peer {peer!r}")
        r = repo.incoming_by_seq(p.id, seq)
        if r is None:
            raise NotFoundError(f"peer {peer!r} has no signal at seq {seq}")
        if r.quarantined_at is None:
            raise UsageError(f"the signal at seq {seq} of {peer!r} is not quarantined")
        repo.release(p.id, seq)
    log.info("exchange: signal %s/%d released from quarantine", peer, seq)
    return {"peer": peer, "seq": seq, "quarantined": False}


def quarantined(inst: Instance) -> list[dict[str, Any]]:
    with inst.db.session() as s:
        repo = IncomingRepository(s)
        peers = repo.peers_by_id()
        return [
            {
                "peer": peers[r.peer_id].name,
                "seq": r.seq,
                "signal_type": r.signal_type,
                "value": r.value,
                "since": r.quarantined_at.isoformat() if r.quarantined_at else None,
                "reason": r.quarantine_reason,
            }
            for r in repo.quarantined()
        ]


def matches(inst: Instance, *, media_sha256: str | None = None) -> list[dict[str, Any]]:
    with inst.db.session() as s:
        out = IncomingRepository(s).matches(media_sha256=media_sha256)
    for m in out:
        at = m["at"]
        m["at"] = aware(at).isoformat() if isinstance(at, dt.datetime) else at
    return out


def add_negative(
    inst: Instance, signal_type: str, value: str, reason: str, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Put a known-benign signal on the operator's local negative list."""
    st = parse_enum(SignalType, signal_type, "signal type")
    v = _listed(st, value)
    text = check_reason(reason)
    with inst.db.session() as s:
        added = IncomingRepository(s).add_negative(st.value, v, text, aware(now or _now()))
    return {"signal_type": st.value, "value": v, "reason": text, "added": added}


def _listed(st: SignalType, value: str) -> str:
    # a vPDQ in python-threatexchange's form too, listed in ours (exchange/media_signals.py)
    return parse_vpdq(value) if st is SignalType.VPDQ else check_value(st, value)


def remove_negative(inst: Instance, signal_type: str, value: str) -> bool:
    st = parse_enum(SignalType, signal_type, "signal type")
    with inst.db.session() as s:
        return IncomingRepository(s).remove_negative(st.value, _listed(st, value))


def negatives(inst: Instance) -> list[dict[str, Any]]:
    with inst.db.session() as s:
        return [
            {
                "signal_type": n.signal_type,
                "value": n.value,
                "reason": n.reason,
                "at": aware(n.at).isoformat(),
            }
            for n in IncomingRepository(s).negatives()
        ]


# --- verdicts back to the source -----------------------------------------------------


def _verdict_of(m: DecidedMatch) -> tuple[str, str]:
    if m.reversed and m.outcome in ACTING:
        return "false_positive", (
            f"An upload here matched this signal; our reviewers decided {m.outcome}, and "
            "that decision was reversed on appeal: we no longer act on this match."
        )
    if m.outcome in ACTING:
        return "confirmed", (
            f"An upload here matched this signal; our reviewers decided {m.outcome} "
            "(they found what the signal says)."
        )
    return "false_positive", (
        "An upload here matched this signal; our reviewers took no action (the matched "
        "media was not what the signal says)."
    )


def queue_verdicts(inst: Instance, now: dt.datetime | None = None) -> int:
    """Write an outbox row for each decided case a received signal opened (one per
    signal and case) and record the review on the signal. The verdict follows the case:
    its latest final decision, unless an appeal reversed that decision (a reversed
    action is ``false_positive``; a reversed "no action" is ``confirmed`` once its new
    outcome is final). Where an appeal changed the verdict, the row takes the new one
    and is sent again, once: the source keeps each owner's latest opinion. Crash-safe
    and idempotent: the rows are the queue and are derived from the case's record, so a
    round that did not run is made up by the next. Returns how many verdicts are new or
    changed (each sent once)."""
    now = aware(now or _now())
    n = 0
    with inst.db.session() as s:
        repo = IncomingRepository(s)
        seen: set[tuple[int, int, str]] = set()
        for m in repo.decided_matches():
            opinion, reason = _verdict_of(m)
            key = (m.peer_id, m.seq, m.case_number)
            first = key not in seen
            seen.add(key)
            if m.verdict_id is None:
                repo.add_verdict(m, opinion, reason, now, duplicate=not first)
                n += first
            elif m.verdict_opinion != opinion:
                n += repo.requeue_verdict(m.verdict_id, opinion, reason, now)
                log.info(
                    "exchange: case %s reversed on appeal: verdict on seq %d is now %s",
                    m.case_number,
                    m.seq,
                    opinion,
                )
            else:
                continue
            if m.incoming_id is not None:
                repo.set_review(m.incoming_id, opinion)
    return n


def send_verdicts(
    inst: Instance, *, client: httpx.Client | None = None, now: dt.datetime | None = None
) -> list[dict[str, Any]]:
    """Queue new verdicts and send those due to their sources (``send_opinion``). A
    source that cannot be reached is tried again later (30 s doubling to 1 h); one that
    refuses (no opine scope, signal withdrawn) is marked ``refused`` with its answer."""
    from mediaproof.services.exchange_pull import send_opinion  # it imports us

    now = aware(now or _now())
    queue_verdicts(inst, now)
    with inst.db.session() as s:
        repo = IncomingRepository(s)
        peers = repo.peers_by_id()
        due = repo.verdicts(due=now)
    out = []
    for v in due:
        p = peers.get(v.peer_id)
        if p is None:
            continue
        try:
            if p.is_pytx:  # through python-threatexchange's report_opinion, if it has one
                from mediaproof.services.exchange_sources import report_verdict

                status, error = report_verdict(inst, p, v)
            else:
                send_opinion(inst, p.name, v.seq, v.opinion, v.reason, client=client)
                status, error = "sent", None
        except PeerUnreachableError as e:
            retry = min(VERDICT_RETRY_MAX_S, VERDICT_RETRY_BASE_S * 2**v.attempts)
            with inst.db.session() as s:
                IncomingRepository(s).verdict_retry(v.id, now, e.message, retry)
            log.warning(
                "exchange: verdict to %s not delivered (retry in %d s): %s",
                p.name,
                retry,
                e.message,
            )
            out.append({"peer": p.name, "seq": v.seq, "status": "pending", "error": e.message})
            continue
        except MediaproofError as e:
            status, error = "refused", e.message
            log.error("exchange: %s refused our verdict on seq %d: %s", p.name, v.seq, e.message)
        with inst.db.session() as s:
            IncomingRepository(s).verdict_done(
                v.id, now, status=status, error=error, opinion=v.opinion
            )
        out.append({"peer": p.name, "seq": v.seq, "status": status, "error": error})
    return out


def verdicts(inst: Instance) -> list[dict[str, Any]]:
    with inst.db.session() as s:
        repo = IncomingRepository(s)
        peers = repo.peers_by_id()
        return [
            {
                "peer": peers[v.peer_id].name if v.peer_id in peers else None,
                "seq": v.seq,
                "opinion": v.opinion,
                "reason": v.reason,
                "status": v.status,
                "attempts": v.attempts,
                "last_error": v.last_error,
                "case_number": v.case_number,
            }
            for v in repo.verdicts()
        ]
