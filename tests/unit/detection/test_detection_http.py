"""The TrueMedia-convention HTTP adapter against a local stand-in container on loopback:
the same two routes (GET /healthcheck, POST /predict {"file_path"}), a real socket."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from mediaproof.detection.card import parse_card
from mediaproof.detection.errors import DetectorError, DetectorLoadError
from mediaproof.detection.http import TrueMediaHttpDetector, check_url
from mediaproof.testing.detector_contract import DetectorContract
from tests.unit.detection.detector_support import (
    card_dict,
    high_band_share,
    make_toy,
    solid,
)


class StandIn:
    """What a detector container does: read the file at file_path, answer a probability.
    ``mode`` switches on the failures real services have."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.delay_s = 0.0
        self.healthy = True
        self.requests: list[dict[str, Any]] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                if self.path != "/healthcheck":
                    self._send(404, b"{}")
                    return
                self._send(200 if stand_in.healthy else 503, b'{"healthy": true}')

            def do_POST(self) -> None:
                if self.path != "/predict":
                    self._send(404, b"{}")
                    return
                doc = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stand_in.requests.append(doc)
                if stand_in.mode == "slow":
                    time.sleep(stand_in.delay_s)
                if stand_in.mode == "500":
                    self._send(500, b'{"error": "boom"}')
                    return
                if stand_in.mode == "not-json":
                    self._send(200, b"<html>")
                    return
                try:
                    with Image.open(doc["file_path"]) as im:
                        a = np.asarray(im.convert("RGB"), dtype=np.float64) / 255.0
                    p = float(np.clip(0.5 + a[..., 0].mean() - a[..., 2].mean(), 0.0, 1.0))
                except OSError:
                    # an audio container: the share of energy above 3 kHz
                    try:
                        p = high_band_share(Path(doc["file_path"]))
                    except ValueError:
                        self._send(400, b'{"error": "cannot read the file"}')
                        return
                if stand_in.mode == "out-of-range":
                    p = 1.7
                body = {"df_probability": p, "prediction": "FAKE" if p > 0.5 else "REAL"}
                self._send(200, json.dumps(body).encode())

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    s = StandIn()
    yield s
    s.close()


def http_card(tmp_path: Path) -> Any:
    make_toy(tmp_path / "c")
    data = card_dict(tmp_path / "c", det_id="remote-redness")
    data.update(onnx=None, weights=[])
    return parse_card(data)


@pytest.fixture
def media(tmp_path: Path) -> list[Path]:
    return [solid(tmp_path / "red.png", (220, 30, 30)), solid(tmp_path / "blue.png", (30, 30, 220))]


class TestHttpDetector(DetectorContract):
    @pytest.fixture
    def detector(self, tmp_path: Path, stand_in: StandIn) -> TrueMediaHttpDetector:
        return TrueMediaHttpDetector(http_card(tmp_path), stand_in.url, timeout_s=5)


def test_sends_the_file_path_and_reads_the_probability(
    tmp_path: Path, stand_in: StandIn, media: list[Path]
) -> None:
    det = TrueMediaHttpDetector(http_card(tmp_path), stand_in.url + "/", timeout_s=5)
    det.load()
    r = det.score(media[0])
    assert stand_in.requests == [{"file_path": str(media[0].resolve())}]
    assert r.probability is not None and r.probability > 0.8
    assert r.raw == {"prediction": "FAKE"}


def test_unhealthy_service_does_not_load(tmp_path: Path, stand_in: StandIn) -> None:
    stand_in.healthy = False
    with pytest.raises(DetectorLoadError, match="not healthy"):
        TrueMediaHttpDetector(http_card(tmp_path), stand_in.url).load()


def test_nothing_listening_does_not_load(tmp_path: Path, stand_in: StandIn) -> None:
    url = stand_in.url
    stand_in.close()
    with pytest.raises(DetectorLoadError, match="did not answer"):
        TrueMediaHttpDetector(http_card(tmp_path), url, timeout_s=2).load()


@pytest.mark.parametrize(
    ("mode", "message"),
    [("500", "HTTP 500"), ("not-json", "not JSON"), ("out-of-range", "not in \\[0, 1\\]")],
)
def test_bad_answers_are_errors_not_scores(
    tmp_path: Path, stand_in: StandIn, media: list[Path], mode: str, message: str
) -> None:
    det = TrueMediaHttpDetector(http_card(tmp_path), stand_in.url, timeout_s=5)
    det.load()
    stand_in.mode = mode
    with pytest.raises(DetectorError, match=message):
        det.score(media[0])


@pytest.mark.parametrize(
    "url", ["ftp://127.0.0.1/", "127.0.0.1:8000", "http://user:pw@127.0.0.1/", "http://h/?a=1"]
)
def test_only_plain_http_urls(url: str) -> None:
    with pytest.raises(DetectorLoadError):
        check_url(url)
