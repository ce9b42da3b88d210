"""C2SP tlog-tiles layout (c2sp.org/tlog-tiles): paths, tile arithmetic, and a tile reader.

A tile at level ``L`` holds up to 256 consecutive hashes of tree level ``8 * L``; the last
tile of a level is *partial* (``.p/<W>``) until it fills. Entry bundles mirror level 0
tiles and hold the entries themselves, each prefixed by a big-endian uint16 length.
The reader half (:class:`TileReader`) is what an auditor uses against a served log.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from mediaproof.transparency.errors import FetchError, LogError, ProofError
from mediaproof.transparency.merkle import HASH_SIZE, node_hash

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # 256 hashes, 8 KiB
MAX_ENTRY_SIZE = 0xFFFF  # entry bundles use uint16 lengths


def encode_index(n: int) -> str:
    """1234067 -> ``x001/x234/067``: 3-digit groups, all but the last prefixed with x."""
    if n < 0:
        raise ValueError("tile index must be non-negative")
    groups = [f"{n % 1000:03d}"]
    n //= 1000
    while n > 0:
        groups.append(f"x{n % 1000:03d}")
        n //= 1000
    return "/".join(reversed(groups))


def tile_path(level: int, index: int, width: int = TILE_WIDTH) -> str:
    suffix = "" if width == TILE_WIDTH else f".p/{width}"
    return f"tile/{level}/{encode_index(index)}{suffix}"


def entries_path(index: int, width: int = TILE_WIDTH) -> str:
    suffix = "" if width == TILE_WIDTH else f".p/{width}"
    return f"tile/entries/{encode_index(index)}{suffix}"


@dataclass(frozen=True)
class TileRef:
    level: int  # tile level (tree level 8 * level)
    index: int
    width: int

    @property
    def path(self) -> str:
        return tile_path(self.level, self.index, self.width)

    @property
    def entries_path(self) -> str:
        return entries_path(self.index, self.width)


def tile_width(level: int, index: int, size: int) -> int:
    """Width of tile ``index`` at ``level`` in a tree of ``size`` (0 if it does not exist)."""
    hashes = size >> (TILE_HEIGHT * level)
    full = hashes >> TILE_HEIGHT
    if index < full:
        return TILE_WIDTH
    if index == full:
        return hashes & (TILE_WIDTH - 1)
    return 0


def tiles_between(old_size: int, new_size: int) -> Iterator[TileRef]:
    """Tiles to publish when the tree grows from ``old_size`` to ``new_size``.

    Full tiles completed in between, then the partial tiles of ``new_size``: an append
    touches only the right edge of each level.
    """
    level = 0
    while new_size >> (TILE_HEIGHT * level) > 0:
        shift = TILE_HEIGHT * (level + 1)
        for index in range(old_size >> shift, new_size >> shift):
            yield TileRef(level, index, TILE_WIDTH)
        width = (new_size >> (TILE_HEIGHT * level)) & (TILE_WIDTH - 1)
        if width:
            yield TileRef(level, new_size >> shift, width)
        level += 1


def encode_bundle(entries: list[bytes]) -> bytes:
    out = bytearray()
    for e in entries:
        if len(e) > MAX_ENTRY_SIZE:
            raise LogError("entry too large for a tlog-tiles bundle (64 KiB)")
        out += struct.pack(">H", len(e)) + e
    return bytes(out)


def decode_bundle(data: bytes) -> list[bytes]:
    out, pos = [], 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise ProofError("truncated entry bundle")
        (n,) = struct.unpack_from(">H", data, pos)
        if pos + 2 + n > len(data):
            raise ProofError("truncated entry bundle")
        out.append(data[pos + 2 : pos + 2 + n])
        pos += 2 + n
    return out


Fetch = Callable[[str], bytes]  # path relative to the log prefix -> bytes (raises if missing)


class TileReader:
    """Complete-subtree hashes of a served tree of ``size``, read from its tiles.

    ``node(level, index)`` is a :data:`merkle.NodeReader`: hand it to
    :func:`merkle.consistency_proof` or :func:`merkle.inclusion_proof` to compute a proof
    from nothing but the static files. Tiles are cached per reader.
    """

    def __init__(self, fetch: Fetch, size: int) -> None:
        self._fetch = fetch
        self.size = size
        self._cache: dict[tuple[int, int], bytes] = {}

    def tile(self, level: int, index: int) -> bytes:
        key = (level, index)
        data = self._cache.get(key)
        if data is None:
            width = tile_width(level, index, self.size)
            if width == 0:
                raise ProofError(f"tile {level}/{index} is beyond tree size {self.size}")
            data = self._get(TileRef(level, index, width))
            if len(data) < width * HASH_SIZE:
                raise ProofError(f"tile {tile_path(level, index, width)} is short")
            self._cache[key] = data
        return data

    def _get(self, ref: TileRef) -> bytes:
        try:
            return self._fetch(ref.path)
        except (OSError, LogError, FetchError):
            if ref.width == TILE_WIDTH:
                raise
            # A log may drop a partial tile once the full one exists: take its prefix.
            full = self._fetch(tile_path(ref.level, ref.index))
            return full[: ref.width * HASH_SIZE]

    def node(self, level: int, index: int) -> bytes:
        tlevel, rem = divmod(level, TILE_HEIGHT)
        first = index << rem  # first hash at tree level 8 * tlevel
        count = 1 << rem
        tile = self.tile(tlevel, first >> TILE_HEIGHT)
        off = first & (TILE_WIDTH - 1)
        row = [tile[(off + i) * HASH_SIZE : (off + i + 1) * HASH_SIZE] for i in range(count)]
        while len(row) > 1:
            row = [node_hash(row[i], row[i + 1]) for i in range(0, len(row), 2)]
        return row[0]

    def leaf_hashes(self, tile_index: int) -> list[bytes]:
        data = self.tile(0, tile_index)
        width = tile_width(0, tile_index, self.size)
        return [data[i * HASH_SIZE : (i + 1) * HASH_SIZE] for i in range(width)]

    def entries(self, tile_index: int) -> list[bytes]:
        width = tile_width(0, tile_index, self.size)
        if width == 0:
            raise ProofError(f"entry bundle {tile_index} is beyond tree size {self.size}")
        try:
            data = self._fetch(entries_path(tile_index, width))
        except (OSError, LogError, FetchError):
            if width == TILE_WIDTH:
                raise
            data = self._fetch(entries_path(tile_index))
        got = decode_bundle(data)
        if len(got) < width:
            raise ProofError(f"entry bundle {tile_index} has {len(got)} entries, want {width}")
        return got[:width]
