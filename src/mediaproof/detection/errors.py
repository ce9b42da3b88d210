"""Detector errors. A detector that cannot load or answer is an error, never a constant
score."""

from __future__ import annotations

from mediaproof.errors import MediaproofError


class DetectorError(MediaproofError):
    code = "detector"
    exit_code = 1
    http_status = 500


class DetectorLoadError(DetectorError):
    """The detector, its weights or its card could not be loaded or verified."""

    code = "detector_load"


class CardError(DetectorLoadError):
    """A model card is missing, malformed, or disagrees with the files it describes."""

    code = "detector_card"


class ManifestError(DetectorError):
    """An evaluation manifest line is malformed."""

    code = "detector_manifest"
    exit_code = 2
    http_status = 400
