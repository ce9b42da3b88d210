"""Detector errors. A detector that cannot load or answer is an error, never a constant
score."""

from __future__ import annotations

from mediaproof.errors import MediaproofError


class DetectorError(MediaproofError, code="detector", exit_code=1, http_status=500): ...


class DetectorLoadError(DetectorError, code="detector_load"):
    """The detector, its weights or its card could not be loaded or verified."""


class CardError(DetectorLoadError, code="detector_card"):
    """A model card is missing, malformed, or disagrees with the files it describes."""


class ManifestError(DetectorError, code="detector_manifest", exit_code=2, http_status=400):
    """An evaluation manifest line is malformed."""
