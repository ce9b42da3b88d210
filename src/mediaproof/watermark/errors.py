"""Watermark errors. Detection never raises for "no watermark": that is a result."""

from __future__ import annotations

from mediaproof.errors import MediaproofError


class WatermarkError(MediaproofError):
    code = "watermark"
    exit_code = 8
    http_status = 422


class WatermarkKeyError(WatermarkError):
    """The instance's watermark key is missing, unreadable or malformed."""

    code = "watermark_key"
    exit_code = 78


class PayloadError(WatermarkError):
    """The asset ID or version does not fit the scheme's payload."""

    code = "watermark_payload"
    exit_code = 2
    http_status = 400


class MediaTooSmallError(WatermarkError):
    """Too few pixels or samples to carry (or look for) a watermark."""

    code = "watermark_media_too_small"
