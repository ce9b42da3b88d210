"""Learned detectors as plug-ins, each with a model card and a measured accuracy.

A detector gives an *opinion* ("consistent / not consistent with AI generation"), never a
verdict: the policy does not label a file on a detector score alone. See docs/detectors.md.
"""

__all__: list[str] = []  # nothing at package level: import its modules
