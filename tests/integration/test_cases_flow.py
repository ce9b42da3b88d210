"""The case workflow end to end on SQLite and PostgreSQL, with a real local webhook receiver."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from sqlalchemy import text

from mediaproof.cases import webhooks
from mediaproof.cases.errors import (
    ReviewRuleError,
    TokenError,
)
from mediaproof.cases.events import InMemoryEventSink
from mediaproof.cases.models import (
    AppealOutcome,
    CaseState,
    NoticeCategory,
    NoticeInput,
    Outcome,
)
from mediaproof.cases.sor import validate_record
from mediaproof.cases.webhooks import RetryPolicy
from mediaproof.errors import ConflictError, UsageError
from mediaproof.services.cases import CaseService
from mediaproof.services.cases.webhook_targets import parse_networks
from mediaproof.storage.sql.engine import Database
from tests.factories import CANDIDATE, VOTER, notice_input

T0 = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)
LOOPBACK = parse_networks(["127.0.0.0/8"])  # webhooks go to public addresses only by default
SECRET = "whsec-test-0123456789abcdef"
SHA = "ab" * 32
URL = "https://video.example/watch/123"

PERSONAL = ("Ana Candidata", "ana@campaign.example", "Bo Voter", "bo@voters.example")


class Receiver:
    """A webhook receiver on 127.0.0.1 that can go down and come back on the same port."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.port = 0
        self.server: HTTPServer | None = None
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                outer.requests.append((dict(self.headers.items()), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(b) for _, b in self.requests]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    r.start()
    yield r
    r.stop()


@pytest.fixture
def sink() -> InMemoryEventSink:
    return InMemoryEventSink()


@pytest.fixture
def svc(db: Database, sink: InMemoryEventSink) -> CaseService:
    return CaseService(
        db,
        sink=sink,
        retry=RetryPolicy(max_attempts=3, base=dt.timedelta(seconds=10)),
        webhook_timeout_s=2.0,
        webhook_allow=LOOPBACK,  # the test receiver listens on 127.0.0.1
    )


def candidate_notice(**kw: Any) -> NoticeInput:
    """The candidate reports a clone of her voice (a verified candidate: the fast clock)."""
    clip = {
        "explanation": "This clip clones my voice; I never said these words.",
        "media_sha256": SHA,
        "content_url": URL,
        "location": "video.example, posted 2026-11-02",
        "fingerprints": {"pdq": "f" * 64},
        "mime": "video/mp4",
        "verified_candidate": True,
    }
    return notice_input(clip, reporter=CANDIDATE, **kw)


def voter_notice(**kw: Any) -> NoticeInput:
    """A voter reports the same clip."""
    clip = {
        "explanation": "Looks like an AI-made video of the candidate.",
        "media_sha256": SHA,
        "content_url": URL,
        "location": "video.example",
    }
    return notice_input(clip, reporter=VOTER, **kw)


def assert_no_personal_data(blob: str) -> None:
    for p in PERSONAL:
        assert p.lower() not in blob.lower(), p


def test_report_remove_appeal_reverse_restore(
    svc: CaseService, sink: InMemoryEventSink, receiver: Receiver
) -> None:
    svc.register_endpoint("video.example", receiver.url, SECRET)

    r1 = svc.file_notice(candidate_notice(), T0)
    assert r1.case_number.startswith("C-2026-") and not r1.joined_existing_case
    assert r1.triage.due_at == T0 + dt.timedelta(hours=12)  # verified candidate clock
    r2 = svc.file_notice(voter_notice(), T0 + dt.timedelta(minutes=5))
    assert r2.joined_existing_case and r2.case_number == r1.case_number
    assert r2.status_token != r1.status_token

    queue = svc.queue()
    assert [c.number for c in queue] == [r1.case_number]
    case = queue[0]
    assert case.notice_count == 2 and case.priority == 0

    # removal needs four eyes
    explanation = (
        "Reported by Ana Candidata (ana@campaign.example). The voice is synthetic and the "
        "event never happened; likely to deceive voters."
    )
    proposed = svc.decide(
        r1.case_number,
        reviewer="alice",
        outcome=Outcome.REMOVE,
        rule_id="DM-1",
        explanation=explanation,
        now=T0 + dt.timedelta(hours=1),
    )
    assert proposed.case.state is CaseState.AWAITING_SECOND_REVIEW and not proposed.action_ids
    with pytest.raises(ReviewRuleError):
        svc.confirm(r1.case_number, reviewer="Alice", now=T0 + dt.timedelta(hours=2))
    final = svc.confirm(r1.case_number, reviewer="bob", now=T0 + dt.timedelta(hours=2))
    assert final.case.state is CaseState.DECIDED
    assert final.decision.policy_version == svc.policy.version
    assert final.statement_puid and len(final.action_ids) == 1
    assert final.uploader_token is None  # it went to the platform in the webhook

    stats = svc.deliver_due(T0 + dt.timedelta(hours=2))
    assert stats.delivered == 1 and stats.dead == 0
    headers, body = receiver.requests[0]
    assert webhooks.verify(SECRET, headers, body, T0 + dt.timedelta(hours=2, seconds=3))
    assert not webhooks.verify("wrong-secret-000000", headers, body, T0 + dt.timedelta(hours=2))
    removal = json.loads(body)
    assert removal["action"] == "remove" and removal["content_url"] == URL
    assert headers[webhooks.H_EVENT] == "action.remove"
    assert svc.deliver_due(T0 + dt.timedelta(hours=3)).delivered == 0  # sent once

    # the uploader appeals with the token the platform passed on
    appeal = svc.appeal(
        removal["uploader_appeal_token"],
        grounds="It is satire and says so in the title.",
        now=T0 + dt.timedelta(days=3),
    )
    assert appeal.party.value == "uploader"
    for own in ("alice", "bob"):
        with pytest.raises(ReviewRuleError, match="own decisions"):
            svc.decide_appeal(
                appeal.public_id,
                reviewer=own,
                outcome=AppealOutcome.REVERSED,
                explanation="Self-review is not allowed here.",
                now=T0 + dt.timedelta(days=4),
            )
    res = svc.decide_appeal(
        appeal.public_id,
        reviewer="carol",
        outcome=AppealOutcome.REVERSED,
        explanation="The title says it is parody; a label would have been enough.",
        now=T0 + dt.timedelta(days=4),
    )
    assert res.case.state is CaseState.RESOLVED and res.restore_action_id

    stats = svc.deliver_due(T0 + dt.timedelta(days=4))
    assert stats.delivered == 1
    headers, body = receiver.requests[1]
    assert webhooks.verify(SECRET, headers, body, T0 + dt.timedelta(days=4))
    assert json.loads(body)["action"] == "restore"
    assert "uploader_appeal_token" not in json.loads(body)
    # reversed media leaves the bank: copies no longer match automatically
    assert svc.check_upload(SHA, now=T0 + dt.timedelta(days=5)).action.value == "ignore"

    # the original decision is kept beside the appeal outcome, and what now stands,
    # "no action", is recorded as the appeal reviewer's decision answering that appeal
    detail = svc.show(r1.case_number)
    assert [(d.outcome, d.status.value) for d in detail.decisions] == [
        (Outcome.REMOVE, "final"),
        (Outcome.NO_ACTION, "final"),
    ]
    assert detail.decisions[0].reviewer == "alice" and detail.decisions[0].second_reviewer == "bob"
    assert detail.decisions[1].reviewer == "carol"
    assert detail.appeals[0].outcome is AppealOutcome.REVERSED
    assert [a["action"] for a in detail.actions] == ["remove", "restore"]

    # an event for every step, with no personal data
    assert sink.types() == [
        "notice.received",
        "notice.received",
        "decision.proposed",
        "decision.final",  # a decision is logged before the action it causes
        "action.remove",
        "appeal.filed",
        "appeal.decided",
        "decision.final",  # the reversal: "no action" now stands
        "action.restore",
    ]
    assert_no_personal_data(json.dumps(sink.events))
    assert_no_personal_data(json.dumps(detail.statements))
    assert_no_personal_data(json.dumps(asdict(detail), default=str))  # the reviewer view
    assert_no_personal_data(json.dumps(receiver.bodies()))
    exported = svc.sor_export(T0 + dt.timedelta(days=5))
    assert_no_personal_data(json.dumps(exported))
    records = [r for b in exported for r in b["statements"]]
    assert len(records) == 1 and validate_record(records[0]) == []
    assert records[0]["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert records[0]["source_type"] == "SOURCE_ARTICLE_16"
    assert records[0]["content_type"] == ["CONTENT_TYPE_SYNTHETIC_MEDIA", "CONTENT_TYPE_VIDEO"]
    assert svc.sor_export(T0 + dt.timedelta(days=5)) == []  # exported once
    rep = svc.transparency_report(T0 - dt.timedelta(days=1), T0 + dt.timedelta(days=30))
    from mediaproof.cases.report import to_csv, to_html

    assert_no_personal_data(to_csv(rep) + to_html(rep))
    # personal data lives in the notices table and nowhere else in the database
    from mediaproof.storage.sql.tables import Base

    with svc.db.engine.connect() as c:
        for table in Base.metadata.sorted_tables:
            if table.name == "case_notices":
                continue
            rows = c.execute(table.select()).fetchall()
            assert_no_personal_data(repr(rows))
        notices = repr(c.execute(text("SELECT * FROM case_notices")).fetchall())
        assert "ana@campaign.example" in notices  # kept where it belongs
    # the reporter's statement was scrubbed, not the whole decision text
    assert "[name removed]" in detail.statements[0]["human"]


def test_reporter_sees_only_their_own_notice(svc: CaseService) -> None:
    a = svc.file_notice(candidate_notice(), T0)
    b = svc.file_notice(voter_notice(), T0)  # same case, another reporter
    c = svc.file_notice(
        voter_notice(
            media_sha256="cd" * 32,
            content_url="https://other.example/p/9",
            location="other.example",
        ),
        T0,
    )
    assert c.case_number != a.case_number
    sa, sb, sc = svc.status(a.status_token), svc.status(b.status_token), svc.status(c.status_token)
    assert sa.notice_id == a.notice_id and sb.notice_id == b.notice_id
    assert sa.case_number == sb.case_number != sc.case_number
    assert sc.notice_id == c.notice_id
    with pytest.raises(TokenError):
        svc.status("not-a-token")
    # withdrawing the only notice of a case closes it before review
    w = svc.withdraw(c.status_token, T0 + dt.timedelta(hours=1))
    assert w.state is CaseState.WITHDRAWN and w.notice_status == "withdrawn"
    # withdrawing one of two notices leaves the case open
    assert svc.withdraw(b.status_token, T0 + dt.timedelta(hours=1)).state is CaseState.OPEN
    assert [q.number for q in svc.queue()] == [a.case_number]


def test_appeals_cannot_be_decided_by_the_original_reviewer(svc: CaseService) -> None:
    r = svc.file_notice(voter_notice(), T0)
    svc.decide(
        r.case_number,
        reviewer="alice",
        outcome=Outcome.LABEL,
        rule_id="DM-1",
        explanation="Synthetic, but labelled as satire by the uploader.",
        now=T0,
    )
    ap = svc.appeal(
        r.status_token,
        grounds="A label is not enough, please remove it.",
        now=T0 + dt.timedelta(days=1),
    )
    assert ap.party.value == "reporter"
    with pytest.raises(ReviewRuleError):
        svc.decide_appeal(
            ap.public_id,
            reviewer="ALICE",
            outcome=AppealOutcome.UPHELD,
            explanation="I stand by my decision.",
            now=T0 + dt.timedelta(days=2),
        )
    res = svc.decide_appeal(
        ap.public_id,
        reviewer="dave",
        outcome=AppealOutcome.UPHELD,
        explanation="The label follows rule DM-1.",
        now=T0 + dt.timedelta(days=2),
    )
    assert res.appeal.outcome is AppealOutcome.UPHELD and res.restore_action_id is None
    # one internal appeal per party and decision: this reporter's redress is exhausted
    with pytest.raises(ConflictError, match="already appealed this decision"):
        svc.appeal(
            r.status_token, grounds="Again, please remove it now.", now=T0 + dt.timedelta(days=3)
        )
    status = svc.status(r.status_token, now=T0 + dt.timedelta(days=3))
    assert len(status.statements) == 2 and "upheld" in status.statements[1]
    assert not status.appealable and "internal redress is exhausted" in (
        status.not_appealable or ""
    )


def test_appeal_window(svc: CaseService) -> None:
    r = svc.file_notice(voter_notice(), T0)
    svc.decide(
        r.case_number,
        reviewer="alice",
        outcome=Outcome.NO_ACTION,
        rule_id="DM-1",
        explanation="Authentic footage, verified with the campaign.",
        now=T0,
    )
    from mediaproof.cases.errors import AppealWindowError

    with pytest.raises(AppealWindowError):
        svc.appeal(
            r.status_token,
            grounds="It is fake, please look again.",
            now=T0 + dt.timedelta(days=184),
        )
    svc.appeal(
        r.status_token, grounds="It is fake, please look again.", now=T0 + dt.timedelta(days=182)
    )


def test_two_concurrent_deciders_one_decision_one_conflict(svc: CaseService) -> None:
    r = svc.file_notice(voter_notice(), T0)
    version = svc.show(r.case_number).case.version
    barrier = threading.Barrier(2)
    results: list[object] = []

    def decide(name: str) -> None:
        barrier.wait()
        try:
            svc.decide(
                r.case_number,
                reviewer=name,
                outcome=Outcome.LABEL,
                rule_id="DM-1",
                explanation=f"{name}: synthetic voice, label it.",
                now=T0,
                expected_version=version,
            )
            results.append("ok")
        except ConflictError as e:
            results.append(e)

    threads = [threading.Thread(target=decide, args=(n,)) for n in ("erin", "frank")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(map(type, results), key=str) == sorted([str, ConflictError], key=str)
    assert len(svc.show(r.case_number).decisions) == 1


def test_sequential_stale_decider_gets_conflict(svc: CaseService) -> None:
    r = svc.file_notice(voter_notice(), T0)
    v = svc.show(r.case_number).case.version
    svc.decide(
        r.case_number,
        reviewer="erin",
        outcome=Outcome.LABEL,
        rule_id="DM-1",
        explanation="Synthetic voice, label it.",
        now=T0,
        expected_version=v,
    )
    with pytest.raises(ConflictError, match="reload"):
        svc.decide(
            r.case_number,
            reviewer="frank",
            outcome=Outcome.NO_ACTION,
            rule_id="DM-1",
            explanation="Looks authentic to me.",
            now=T0,
            expected_version=v,
        )


def test_webhook_survives_a_receiver_that_is_down(svc: CaseService, receiver: Receiver) -> None:
    svc.register_endpoint("*", receiver.url, SECRET)  # default endpoint for any platform
    receiver.stop()  # down: connection refused
    r = svc.file_notice(voter_notice(), T0)
    svc.decide(
        r.case_number,
        reviewer="alice",
        outcome=Outcome.LABEL,
        rule_id="DM-1",
        explanation="Synthetic voice, label it.",
        now=T0,
    )
    s1 = svc.deliver_due(T0)
    assert (s1.delivered, s1.retried) == (0, 1) and s1.errors
    assert svc.deliver_due(T0 + dt.timedelta(seconds=5)).retried == 0  # not due yet (10 s)
    # a new service object stands for a restarted worker: the outbox is in the database
    again = CaseService(
        svc.db,
        sink=InMemoryEventSink(),
        retry=svc.retry,
        webhook_timeout_s=2,
        webhook_allow=LOOPBACK,
    )
    receiver.start()  # back, same port
    s2 = again.deliver_due(T0 + dt.timedelta(seconds=11))
    assert s2.delivered == 1
    assert receiver.bodies()[0]["action"] == "label"


def test_dead_letter_after_max_attempts(svc: CaseService, receiver: Receiver) -> None:
    svc.register_endpoint("*", receiver.url, SECRET)
    receiver.stop()
    r = svc.file_notice(voter_notice(), T0)
    svc.decide(
        r.case_number,
        reviewer="alice",
        outcome=Outcome.LABEL,
        rule_id="DM-1",
        explanation="Synthetic voice, label it.",
        now=T0,
    )
    t = T0
    for expected in ("retried", "retried", "dead"):
        stats = svc.deliver_due(t)
        assert getattr(stats, expected) == 1, (expected, stats)
        t += dt.timedelta(hours=1)
    assert svc.deliver_due(t + dt.timedelta(days=1)).delivered == 0
    dead = svc.dead_letters()
    assert len(dead) == 1 and dead[0]["attempts"] == 3 and "Error" in dead[0]["last_error"]
    receiver.start()
    svc.retry_dead(dead[0]["delivery_id"], t)
    assert svc.deliver_due(t).delivered == 1
    assert svc.dead_letters() == []


def test_bank_labels_exact_copies_and_queues_near_ones(svc: CaseService) -> None:
    r = svc.file_notice(candidate_notice(), T0)
    svc.decide(
        r.case_number,
        reviewer="alice",
        outcome=Outcome.LABEL,
        rule_id="DM-1",
        explanation="Synthetic voice; label it.",
        now=T0,
    )
    exact = svc.check_upload(
        SHA, now=T0 + dt.timedelta(days=1), content_url="https://mirror.example/x"
    )
    assert exact.action.value == "label" and exact.action_id and exact.matched_case == r.case_number
    detail = svc.show(r.case_number)
    assert detail.decisions[-1].automated and detail.decisions[-1].reviewer == "auto:bank"
    rec = [s["record"] for s in detail.statements if s["record"]][-1]
    assert rec["automated_detection"] == "Yes"
    assert rec["automated_decision"] == "AUTOMATED_DECISION_FULLY"
    assert rec["source_type"] == "SOURCE_VOLUNTARY"
    assert validate_record(rec) == []

    near = svc.check_upload(
        "ee" * 32,
        fingerprints={"pdq": "f" * 62 + "00"},
        now=T0 + dt.timedelta(days=1),
        content_url="https://other.example/y",
    )
    assert near.action.value == "queue" and near.receipt is not None
    assert near.receipt.case_number != r.case_number
    queued = svc.show(near.receipt.case_number)
    assert queued.notices[0].source.value == "automated"
    assert svc.check_upload("00" * 32, now=T0).action.value == "ignore"


def test_transparency_report_matches_sql(svc: CaseService, db: Database) -> None:
    start, end = T0, T0 + dt.timedelta(days=30)
    svc.file_notice(
        voter_notice(media_sha256="01" * 32, content_url=None, location=None),
        T0 - dt.timedelta(days=2),
    )  # before the period
    cases = []
    for i, cat in enumerate(
        [
            NoticeCategory.DEEPFAKE_OF_CANDIDATE,
            NoticeCategory.FALSE_VOTING_INFORMATION,
            NoticeCategory.IMPERSONATION,
            NoticeCategory.NON_CONSENSUAL_INTIMATE_DEEPFAKE,
            NoticeCategory.FALSE_VOTING_INFORMATION,
        ]
    ):
        sha = f"{i + 2:02x}" * 32
        rec = svc.file_notice(
            voter_notice(
                category=cat,
                media_sha256=sha,
                content_url=None,
                location=None,
                verified_candidate=i % 2 == 0,
            ),
            T0 + dt.timedelta(hours=i),
        )
        cases.append(rec)
    t = T0 + dt.timedelta(days=1)
    svc.decide(
        cases[0].case_number,
        reviewer="a",
        outcome=Outcome.LABEL,
        rule_id="DM-1",
        explanation="Synthetic; label.",
        now=t,
    )
    svc.decide(
        cases[1].case_number,
        reviewer="a",
        outcome=Outcome.REMOVE,
        rule_id="DM-2",
        explanation="Wrong polling date.",
        now=t,
    )
    svc.confirm(cases[1].case_number, reviewer="b", now=t + dt.timedelta(hours=1))
    svc.decide(
        cases[2].case_number,
        reviewer="a",
        outcome=Outcome.NO_ACTION,
        rule_id="DM-4",
        explanation="Clearly parody account.",
        now=t,
    )
    svc.decide(
        cases[3].case_number,
        reviewer="a",
        outcome=Outcome.REMOVE,
        rule_id="DM-3",
        explanation="Intimate deepfake.",
        now=t,
    )
    svc.confirm(cases[3].case_number, reviewer="b", now=t + dt.timedelta(hours=2))
    ap = svc.appeal(
        cases[2].status_token,
        grounds="It impersonates the election office.",
        now=t + dt.timedelta(days=1),
    )
    svc.decide_appeal(
        ap.public_id,
        reviewer="c",
        outcome=AppealOutcome.REVERSED,
        explanation="On a second look it impersonates the office.",
        now=t + dt.timedelta(days=2),
        new_outcome=Outcome.LABEL,
        rule_id="DM-4",
    )

    rep = svc.transparency_report(start, end)
    with db.engine.connect() as c:

        def q(sql: str, **p: Any) -> int:
            return int(c.execute(text(sql), {"s": start, "e": end, **p}).scalar() or 0)

        assert rep.value("notices", "received", "all") == q(
            "SELECT count(*) FROM case_notices WHERE received_at >= :s AND received_at < :e"
        )
        for cat in ("false_voting_information", "deepfake_of_candidate"):
            assert rep.value("notices", "received_by_category", cat) == q(
                "SELECT count(*) FROM case_notices WHERE category = :c "
                "AND received_at >= :s AND received_at < :e",
                c=cat,
            )
        assert rep.value("notices", "received_by_source", "verified_candidate") == q(
            "SELECT count(*) FROM case_notices WHERE source = 'verified_candidate' "
            "AND received_at >= :s AND received_at < :e"
        )
        for kind in ("label", "remove"):
            assert rep.value("actions", "taken", kind, "incompatible") + rep.value(
                "actions", "taken", kind, "illegal"
            ) == q(
                "SELECT count(*) FROM case_actions WHERE action = :k "
                "AND created_at >= :s AND created_at < :e",
                k=kind,
            )
        assert rep.value("decisions", "taken", "all") == q(
            "SELECT count(*) FROM case_decisions WHERE status = 'final' "
            "AND final_at >= :s AND final_at < :e"
        )
        assert rep.value("complaints", "decided", "reversed") == q(
            "SELECT count(*) FROM case_appeals WHERE outcome = 'reversed' "
            "AND filed_at >= :s AND filed_at < :e"
        )
    assert rep.value("notices", "received", "all") == 5
    assert rep.value("actions", "taken", "remove", "illegal") == 1
    assert rep.value("complaints", "received", "reporter") == 1


def test_identical_copies_of_intimate_deepfakes_are_removed(svc: CaseService) -> None:
    r = svc.file_notice(
        candidate_notice(
            category=NoticeCategory.NON_CONSENSUAL_INTIMATE_DEEPFAKE, verified_candidate=False
        ),
        T0,
    )
    assert r.triage.due_at <= T0 + dt.timedelta(hours=48)
    svc.decide(
        r.case_number,
        reviewer="alice",
        outcome=Outcome.REMOVE,
        rule_id="DM-3",
        explanation="Intimate image made without consent.",
        now=T0,
    )
    svc.confirm(r.case_number, reviewer="bob", now=T0 + dt.timedelta(hours=1))
    copy = svc.check_upload(
        SHA, now=T0 + dt.timedelta(hours=2), content_url="https://mirror.example/z"
    )
    assert copy.applied is Outcome.REMOVE and copy.action_id
    detail = svc.show(r.case_number)
    assert [a["action"] for a in detail.actions] == ["remove", "remove"]
    rec = [s["record"] for s in detail.statements if s["record"]][-1]
    assert rec["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert validate_record(rec) == []


class FlakySink(InMemoryEventSink):
    def __init__(self) -> None:
        super().__init__()
        self.down = True

    def append(self, entry: dict[str, Any]) -> None:
        if self.down:
            raise OSError("log unavailable")
        super().append(entry)


def test_events_survive_a_log_outage(db: Database) -> None:
    sink = FlakySink()
    svc = CaseService(db, sink=sink)
    r = svc.file_notice(voter_notice(), T0)  # succeeds although the log is down
    assert sink.events == []
    sink.down = False
    svc.decide(
        r.case_number,
        reviewer="alice",
        outcome=Outcome.NO_ACTION,
        rule_id="DM-1",
        explanation="Authentic footage, verified with the source.",
        now=T0,
    )
    assert sink.types() == ["notice.received", "decision.final"]  # in order, none lost
    assert len({e["id"] for e in sink.events}) == 2
    assert svc.flush_events() == 0  # nothing is sent twice


def test_reversal_restores_bank_copies_too(svc: CaseService, receiver: Receiver) -> None:
    svc.register_endpoint("mirror.example", receiver.url, SECRET)
    r = svc.file_notice(voter_notice(), T0)
    svc.decide(
        r.case_number,
        reviewer="alice",
        outcome=Outcome.LABEL,
        rule_id="DM-1",
        explanation="Synthetic voice; label it.",
        now=T0,
    )
    copy = svc.check_upload(SHA, now=T0, content_url="https://mirror.example/c/1")
    assert copy.applied is Outcome.LABEL
    assert svc.deliver_due(T0).delivered == 1  # only the mirror has an endpoint
    ap = svc.appeal(
        r.status_token,
        grounds="A label is not enough, please remove it.",
        now=T0 + dt.timedelta(days=1),
    )
    svc.decide_appeal(
        ap.public_id,
        reviewer="carol",
        outcome=AppealOutcome.REVERSED,
        explanation="Authentic after all: the campaign confirmed the recording.",
        now=T0 + dt.timedelta(days=2),
    )
    actions = [(a["action"]) for a in svc.show(r.case_number).actions]
    assert actions == ["label", "label", "restore", "restore"]
    assert svc.deliver_due(T0 + dt.timedelta(days=2)).delivered == 1
    restored = receiver.bodies()[-1]
    assert restored["action"] == "restore"
    assert restored["content_url"] == "https://mirror.example/c/1"


def test_notices_joining_at_the_same_time_all_succeed(svc: CaseService) -> None:
    first = svc.file_notice(voter_notice(), T0)
    barrier = threading.Barrier(4)
    out: list[object] = []

    def report(i: int) -> None:
        barrier.wait()
        try:
            out.append(
                svc.file_notice(
                    voter_notice(
                        reporter_name=f"Voter {i}",
                        reporter_email=f"v{i}@x.example",
                        signature=f"Voter {i}",
                    ),
                    T0,
                )
            )
        except Exception as e:
            out.append(e)

    threads = [threading.Thread(target=report, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(not isinstance(o, Exception) for o in out), out
    assert svc.show(first.case_number).case.notice_count == 5


class FakeIndex:
    """Stands in for the fingerprint index: every pdq value 'ff…' belongs to one case."""

    def __init__(self) -> None:
        self.case_id: int | None = None
        self.calls: list[tuple[str, dict[str, str]]] = []

    def find_case_by_media(self, sha256: str, fingerprints: Any) -> int | None:
        self.calls.append((sha256, dict(fingerprints)))
        return self.case_id if fingerprints.get("pdq", "").startswith("ff") else None


def test_notices_join_by_fingerprint_through_the_index(db: Database) -> None:
    index = FakeIndex()
    svc = CaseService(db, sink=InMemoryEventSink(), media_index=index)
    first = svc.file_notice(candidate_notice(), T0)
    index.case_id = svc.show(first.case_number).case.id
    # a re-encoded copy: other bytes, other URL, similar fingerprint
    copy = svc.file_notice(
        voter_notice(
            media_sha256="cd" * 32,
            content_url="https://other.example/v/2",
            location="other.example",
            fingerprints={"pdq": "ff" + "0" * 62},
        ),
        T0,
    )
    assert copy.joined_existing_case and copy.case_number == first.case_number
    assert index.calls[-1] == ("cd" * 32, {"pdq": "ff" + "0" * 62})
    other = svc.file_notice(
        voter_notice(
            media_sha256="ef" * 32,
            content_url="https://third.example/v/3",
            location="third.example",
            fingerprints={"pdq": "00" * 32},
        ),
        T0,
    )
    assert not other.joined_existing_case


def test_times_in_other_zones_are_stored_and_compared_in_utc(svc: CaseService) -> None:
    plus2 = dt.timezone(dt.timedelta(hours=2))
    plus5 = dt.timezone(dt.timedelta(hours=5))
    svc.file_notice(voter_notice(), T0.astimezone(plus2))
    minute = dt.timedelta(minutes=1)

    def count(start: dt.datetime) -> int | float:
        rep = svc.transparency_report(start, start + dt.timedelta(hours=1))
        return rep.value("notices", "received", "all")

    assert count((T0 - minute).astimezone(plus5)) == 1
    assert count(T0 + minute) == 0
    with pytest.raises(UsageError):
        svc.file_notice(voter_notice(), T0.replace(tzinfo=None))
