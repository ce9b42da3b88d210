"""Detectors that ship with mediaproof (their weights come from other packages)."""

__all__: list[str] = []  # nothing at package level: import its modules
