"""mediaproof: provenance, fingerprints and response workflow against deceptive deepfakes."""

__version__ = "0.1.0"
