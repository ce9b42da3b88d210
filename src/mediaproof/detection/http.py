"""The HTTP adapter for TrueMedia.org's open-sourced detector container convention.

Such a container answers ``GET /healthcheck`` (200 when ready) and ``POST /predict`` with
``{"file_path": "..."}`` -> ``{"df_probability": float, "prediction": ...}``. The file is
passed by path, so the container must see the same file system path (a shared volume).

Only the URL the operator configured is ever called (``MEDIAPROOF_DETECTORS_HTTP_URL``);
nothing is contacted by default. The operator also supplies the card: a remote detector
shows its measured accuracy like any other.
"""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mediaproof.detection.card import ModelCard
from mediaproof.detection.errors import CardError, DetectorError, DetectorLoadError
from mediaproof.detection.protocol import DetectorResult, Modality

MAX_RESPONSE_BYTES = 1 << 20


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DetectorLoadError(f"detector URL must be http(s)://host[:port], got {url!r}")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise DetectorLoadError("detector URL takes no query, fragment or credentials")
    return url.rstrip("/")


class TrueMediaHttpDetector:
    def __init__(self, card: ModelCard, url: str, *, timeout_s: float = 60.0) -> None:
        if card.onnx is not None:
            raise CardError(f"{card.id}: an HTTP detector's card has no 'onnx' section")
        self._card = card
        self.id = card.id
        self.version = card.version
        self.modality: Modality = card.modality
        self.url = check_url(url)
        self.timeout_s = timeout_s
        self._ready = False

    @property
    def card(self) -> ModelCard:
        return self._card

    def _call(self, method: str, path: str, body: dict[str, Any] | None) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"} if data is not None else {},
        )
        try:
            # the operator's own URL; redirects are not followed elsewhere by urllib for POST
            with urllib.request.urlopen(req, timeout=self.timeout_s) as resp:
                return int(resp.status), resp.read(MAX_RESPONSE_BYTES + 1)
        except urllib.error.HTTPError as e:
            return int(e.code), e.read(MAX_RESPONSE_BYTES + 1)
        except (urllib.error.URLError, OSError, TimeoutError) as e:
            reason = getattr(e, "reason", e)
            raise DetectorError(
                f"{self.id}: the detector service did not answer ({reason})"
            ) from None

    def load(self) -> None:
        try:
            status, _ = self._call("GET", "/healthcheck", None)
        except DetectorError as e:
            raise DetectorLoadError(e.message) from None
        if status != 200:
            raise DetectorLoadError(
                f"{self.id}: the detector service is not healthy (HTTP {status})"
            )
        self._ready = True

    def score(self, media: Path) -> DetectorResult:
        if not self._ready:
            raise DetectorError(f"{self.id}: not loaded")
        status, body = self._call("POST", "/predict", {"file_path": str(media.resolve())})
        if status != 200:
            raise DetectorError(f"{self.id}: the detector service answered HTTP {status}")
        if len(body) > MAX_RESPONSE_BYTES:
            raise DetectorError(f"{self.id}: the detector service's answer is too large")
        try:
            doc = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            raise DetectorError(f"{self.id}: the detector service's answer is not JSON") from None
        if not isinstance(doc, dict):
            raise DetectorError(f"{self.id}: the detector service's answer is not an object")
        p = doc.get("df_probability")
        if isinstance(p, bool) or not isinstance(p, int | float):
            raise DetectorError(f"{self.id}: the answer has no numeric df_probability")
        p = float(p)
        if not (math.isfinite(p) and 0.0 <= p <= 1.0):
            raise DetectorError(f"{self.id}: df_probability {p!r} is not in [0, 1]")
        pred = doc.get("prediction")
        raw = {"prediction": pred if isinstance(pred, str | int | float | bool) else None}
        return DetectorResult(float(self._card.calibration.apply(p)), raw=raw)
