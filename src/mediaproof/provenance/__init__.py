"""Provenance: C2PA signing, reading and validation (c2pa-python), signing keys, trust
anchors, status codes, and what a manifest declares (AI use, source type)."""

__all__: list[str] = []  # nothing at package level: import its modules
