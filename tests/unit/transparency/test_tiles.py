"""tlog-tiles: path encoding, which tiles exist at a size (the spec's examples), bundles,
and computing proofs from tiles alone."""

from __future__ import annotations

import pytest

from mediaproof.transparency.errors import ProofError
from mediaproof.transparency.merkle import (
    MemoryTree,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    tree_root,
)
from mediaproof.transparency.tiles import (
    TILE_WIDTH,
    TileReader,
    TileRef,
    decode_bundle,
    encode_bundle,
    encode_index,
    entries_path,
    tile_path,
    tiles_between,
)


@pytest.mark.parametrize(
    ("n", "path"),
    [(0, "000"), (7, "007"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067")],
)
def test_index_encoding(n: int, path: str) -> None:
    assert encode_index(n) == path


def test_paths() -> None:
    assert tile_path(0, 1234067) == "tile/0/x001/x234/067"
    assert tile_path(1, 5, 17) == "tile/1/005.p/17"
    assert entries_path(273, 112) == "tile/entries/273.p/112"


def test_spec_example_size_70000() -> None:
    """273 full level-0 tiles, a partial of 112, one full level-1 tile, a partial of 17,
    and a level-2 partial of 1 (c2sp.org/tlog-tiles)."""
    refs = list(tiles_between(0, 70000))
    level0 = [r for r in refs if r.level == 0]
    assert sum(r.width == TILE_WIDTH for r in level0) == 273
    assert [r for r in level0 if r.width != TILE_WIDTH] == [TileRef(0, 273, 112)]
    assert [r for r in refs if r.level == 1] == [TileRef(1, 0, 256), TileRef(1, 1, 17)]
    assert [r for r in refs if r.level == 2] == [TileRef(2, 0, 1)]


def test_size_256_and_incremental_growth() -> None:
    assert list(tiles_between(0, 256)) == [TileRef(0, 0, 256), TileRef(1, 0, 1)]
    # Growing 300 -> 520 touches only the right edge.
    assert list(tiles_between(300, 520)) == [
        TileRef(0, 1, 256),
        TileRef(0, 2, 8),
        TileRef(1, 0, 2),
    ]


def test_bundles_roundtrip() -> None:
    entries = [b"", b"a", b"x" * 65535]
    assert decode_bundle(encode_bundle(entries)) == entries
    with pytest.raises(ProofError):
        decode_bundle(encode_bundle(entries)[:-1])


@pytest.mark.parametrize("size", [1, 255, 256, 257, 600, 65536 + 300])
def test_proofs_from_tiles_equal_proofs_from_the_tree(size: int) -> None:
    tree = MemoryTree([leaf_hash(b"%d" % i) for i in range(size)])
    files: dict[str, bytes] = {}
    for ref in tiles_between(0, size):
        level = tree.levels[8 * ref.level]
        start = ref.index * TILE_WIDTH
        files[ref.path] = b"".join(level[start : start + ref.width])

    def fetch(path: str) -> bytes:
        try:
            return files[path]
        except KeyError:
            raise FileNotFoundError(path) from None

    reader = TileReader(fetch, size)
    assert tree_root(reader.node, size) == tree.root()
    for i in {0, size // 2, size - 1}:
        assert inclusion_proof(reader.node, i, size) == tree.inclusion_proof(i)
    for old in {1, size // 3, size - 1}:
        assert consistency_proof(reader.node, old, size) == tree.consistency_proof(old)
