"""Ingest: bytes in, safely. Type sniffed from content, limits enforced, digests once.

``sniff`` (MediaKind from content), ``ingest`` (limits, digests, probing), ``children``
(parser child processes under resource limits), ``samples`` (media made on the spot).
"""

__all__: list[str] = []  # nothing at package level: import its modules
