"""Contract tests every WatermarkScheme inherits (like python-threatexchange's
SignalTypeAutoTest), shipped so a third-party scheme's own tests can run them (needs
pytest)::

    from mediaproof.testing.watermark_contract import SchemeContract

    class TestMyScheme(SchemeContract): ...

Provide the ``scheme``, ``media`` and ``rate`` fixtures; override ``mild_attack`` if the
scheme claims robustness to something specific. :mod:`mediaproof.watermark.protocol`
says what a scheme must do."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from mediaproof.watermark.models import Payload
from mediaproof.watermark.protocol import MAX_FALSE_CLAIM, WatermarkScheme

KEY = b"contract-test-key-0123456789abcd"
OTHER_KEY = b"another-key-entirely-0123456789x"


class SchemeContract:
    @pytest.fixture
    def rate(self) -> int | None:
        return None

    def mild_attack(self, media: Any, rate: int | None) -> tuple[Any, int | None]:
        return media, rate

    def _payload(self, scheme: WatermarkScheme) -> Payload:
        asset_id = (1 << scheme.payload_bits) - 12345
        version = 1 if scheme.version_bits else 0
        return Payload(asset_id, version)

    def test_is_a_scheme(self, scheme: WatermarkScheme) -> None:
        assert isinstance(scheme, WatermarkScheme)
        assert scheme.name and scheme.kind in ("image", "audio")
        assert scheme.payload_bits >= 32

    def test_embed_keeps_shape_and_dtype(
        self, scheme: WatermarkScheme, media: Any, rate: int | None
    ) -> None:
        marked = scheme.embed(media, self._payload(scheme), KEY, sample_rate=rate)
        assert marked.shape == media.shape
        assert marked.dtype == media.dtype
        assert not np.array_equal(marked, media)

    def test_round_trip(self, scheme: WatermarkScheme, media: Any, rate: int | None) -> None:
        payload = self._payload(scheme)
        marked = scheme.embed(media, payload, KEY, sample_rate=rate)
        det = scheme.detect(marked, KEY, sample_rate=rate)
        assert det.claimed and det.crc_ok
        assert det.payload == payload
        assert det.sync_score >= det.sync_threshold
        assert det.false_claim_bound <= MAX_FALSE_CLAIM
        assert 0.99 < det.confidence <= 1.0

    def test_round_trip_after_mild_attack(
        self, scheme: WatermarkScheme, media: Any, rate: int | None
    ) -> None:
        payload = self._payload(scheme)
        marked = scheme.embed(media, payload, KEY, sample_rate=rate)
        attacked, arate = self.mild_attack(marked, rate)
        det = scheme.detect(attacked, KEY, sample_rate=arate)
        assert det.claimed and det.payload == payload

    def test_unmarked_gives_no_claim(
        self, scheme: WatermarkScheme, media: Any, rate: int | None
    ) -> None:
        det = scheme.detect(media, KEY, sample_rate=rate)
        assert not det.claimed and det.payload is None and det.confidence == 0.0

    def test_wrong_key_gives_no_claim(
        self, scheme: WatermarkScheme, media: Any, rate: int | None
    ) -> None:
        marked = scheme.embed(media, self._payload(scheme), KEY, sample_rate=rate)
        det = scheme.detect(marked, OTHER_KEY, sample_rate=rate)
        assert not det.claimed

    def test_result_is_json_safe(
        self, scheme: WatermarkScheme, media: Any, rate: int | None
    ) -> None:
        import json

        det = scheme.detect(media, KEY, sample_rate=rate)
        json.dumps(det.as_dict())
