"""FingerprintStore keeps row metadata in numpy columns: out-of-order rows, string keys,
batch removal and a snapshot round trip answer like the rows went in."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mediaproof.matching.lookup import FingerprintEntry, FingerprintStore


def _h(rng: np.random.Generator) -> bytes:
    return rng.bytes(32)


def test_out_of_order_rows_string_keys_and_removal() -> None:
    rng = np.random.default_rng(2)
    store = FingerprintStore()
    hs = [_h(rng) for _ in range(6)]
    # row ids arrive out of order; keys mix integers and strings
    store.add(50, "7", FingerprintEntry("pdq", hs[0], quality=90, variant="flipx"))
    store.add(10, "bank:a", FingerprintEntry("pdq", hs[1], quality=100, variant="original"))
    store.add(30, "007", FingerprintEntry("vpdq", hs[2], quality=80, frame=3, frames_total=9))
    store.add(20, "8", FingerprintEntry("pdq", hs[3], quality=20))  # under the gate
    got = store.find_near("pdq", hs[0], 31)
    assert [(c.asset_id, c.variant, c.quality) for c in got] == [("7", "flipx", 90)]
    assert store.find_near("pdq", hs[1], 0)[0].asset_id == "bank:a"
    v = store.find_near("vpdq", hs[2], 0)[0]
    assert (v.asset_id, v.detail) == ("007", {"frame": 3, "frames_total": 9})
    assert store.find_near("pdq", hs[3], 0) == [] and store.low_quality == {"8": 20}
    store.remove_assets(["7", "bank:a", "nobody"])
    assert store.find_near("pdq", hs[0], 31) == [] and store.find_near("pdq", hs[1], 0) == []
    assert store.find_near("vpdq", hs[2], 0)[0].asset_id == "007"


def test_snapshot_round_trip_through_memory_maps(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    store = FingerprintStore()
    hs = [_h(rng) for _ in range(12_000)]  # over the scan threshold: MIH tables saved
    for i, h in enumerate(hs):
        store.add(i + 1, str(i // 8) if i % 3 else f"k{i // 8}", FingerprintEntry("pdq", h,
                  quality=100, variant="rotate90"))  # fmt: skip
    store.remove_asset("5")
    arrays, state = store.export_hashes()
    for k, a in arrays.items():
        np.save(tmp_path / f"{k}.npy", a)
    mapped = {k: np.load(tmp_path / f"{k}.npy", mmap_mode="r") for k in arrays}
    again = FingerprintStore()
    again.import_hashes(mapped, state)
    for i in (0, 7, 100, 11_999):
        a = [(c.asset_id, c.variant, c.distance) for c in store.find_near("pdq", hs[i], 31)]
        b = [(c.asset_id, c.variant, c.distance) for c in again.find_near("pdq", hs[i], 31)]
        assert a == b and a
    assert again.find_near("pdq", hs[41], 0) == []  # asset 5 (rows 41..47) was removed
    again.add(99_999, "k9", FingerprintEntry("pdq", hs[0]))  # a row after the snapshot
    assert {c.asset_id for c in again.find_near("pdq", hs[0], 0)} == {"k0", "k9"}
