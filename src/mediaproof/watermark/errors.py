"""Watermark errors. Detection never raises for "no watermark": that is a result."""

from __future__ import annotations

from mediaproof.errors import MediaproofError


class WatermarkError(MediaproofError, code="watermark", exit_code=8, http_status=422): ...


class WatermarkKeyError(WatermarkError, code="watermark_key", exit_code=78):
    """The instance's watermark key is missing, unreadable or malformed."""


class PayloadError(WatermarkError, code="watermark_payload", exit_code=2, http_status=400):
    """The asset ID or version does not fit the scheme's payload."""


class MediaTooSmallError(WatermarkError, code="watermark_media_too_small"):
    """Too few pixels or samples to carry (or look for) a watermark."""
