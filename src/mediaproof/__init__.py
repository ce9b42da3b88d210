"""mediaproof: provenance, fingerprints and response workflow against deceptive deepfakes.

The README's "Layout" section maps the packages; each package's ``__all__`` names what it
offers at package level (most offer nothing there: import their modules).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
