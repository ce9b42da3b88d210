"""Prompt screening for generation tools (issue 19): pure domain code.

Normalise a prompt against evasions, find protected people (by name, alias, misspelling,
sound or description) and deceptive election scenarios (by multilingual rules and by
nearest neighbours over sentence embeddings of seed examples), and decide allow / review /
block with reasons. Nothing here touches storage, the network or the service layer.
"""

POLICY_VERSION = "screen-2026-12-07.3"

__all__ = ["POLICY_VERSION"]
