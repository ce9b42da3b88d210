"""Ingest: bytes in, safely. Type sniffed from content, limits enforced, digests once."""

from mediaproof.media.ingest import MediaInfo, ingest_file
from mediaproof.media.sniff import MediaKind, sniff

__all__ = ["MediaInfo", "MediaKind", "ingest_file", "sniff"]
