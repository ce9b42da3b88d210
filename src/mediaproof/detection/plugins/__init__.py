"""Detectors that ship with mediaproof (their weights come from other packages)."""
