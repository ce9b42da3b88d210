"""Test bases that plug-in packages import (``mediaproof.testing.detector_contract``)."""
