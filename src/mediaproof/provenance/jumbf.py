"""The active manifest's label from a C2PA manifest store (JUMBF bytes), without the SDK.

Signing returns the store it embedded; registration records the label of its active
manifest. Reading the signed file back through the SDK for that one string validated
the whole file again (its hash, the signature, the chain: ~10 ms at 12 MP). The store is
a JUMBF superbox (ISO/IEC 19566-5) whose child superboxes are the manifests; the active
manifest is the last of them (C2PA 2.x, "Manifest Store"), and each one's description
box carries its label (``urn:c2pa:...`` / ``urn:uuid:...``).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

_JUMB = b"jumb"
_JUMD = b"jumd"
_LABEL_PRESENT = 0x02  # the description box's toggles: a label follows the UUID


def _boxes(data: bytes | memoryview, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the ISO BMFF-style boxes in [start, end)."""
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        head = 8
        if size == 1:  # a 64-bit size follows the type
            if pos + 16 > end:
                return
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            head = 16
        elif size == 0:  # to the end of the enclosing box
            size = end - pos
        if size < head or pos + size > end:
            return
        yield bytes(kind), pos + head, pos + size
        pos += size


def _label(data: bytes | memoryview, start: int, end: int) -> str | None:
    """The label of the superbox whose payload is [start, end) (its first child box is
    the description box)."""
    for kind, s, e in _boxes(data, start, end):
        if kind != _JUMD or e - s < 17 or not data[s + 16] & _LABEL_PRESENT:
            return None
        raw = bytes(data[s + 17 : e])
        nul = raw.find(b"\0")
        if nul < 0:
            return None
        try:
            return raw[:nul].decode("utf-8")
        except UnicodeDecodeError:
            return None
    return None


def active_manifest_label(store: bytes) -> str | None:
    """The label of the last manifest in ``store`` (the active one); None where the
    bytes are not a manifest store with labelled manifests."""
    data = memoryview(store)
    top = next(iter(_boxes(data, 0, len(data))), None)
    if top is None or top[0] != _JUMB or _label(data, top[1], top[2]) != "c2pa":
        return None
    last = None
    for kind, s, e in _boxes(data, top[1], top[2]):
        if kind == _JUMB:
            last = _label(data, s, e)
    return last


__all__ = ["active_manifest_label"]
