"""python-threatexchange's PDQ index survives its pickle round trip once our extension is
loaded: faiss writes the buckets of an index whose size is a power of two, all sharing one
chunk, as empty (always for one signal), and `threatexchange match` reads the pickle."""

from __future__ import annotations

import pickle

import pytest

H = "d8f8f0cce0f4a84f0e370a22028f67f0b36e2ed596623e1d33e6b39c4e9c9b22"
NEAR = H[:-1] + "3"  # one bit away
G = "0f0f0f0f1e1e1e1e3c3c3c3c78787878f0f0f0f0e1e1e1e1c3c3c3c387878787"


def _found(entries: list[tuple[str, str]], query: str) -> list[str]:
    from threatexchange.signal_type.pdq.pdq_index import PDQIndex

    index = pickle.loads(pickle.dumps(PDQIndex(entries)))
    return sorted(m.metadata for m in index.query(query))


@pytest.mark.parametrize(
    "entries",
    [
        [(H, "a")],  # one signal: every bucket is written empty by faiss
        [(H, "a"), (H, "b")],
        [(H, "a"), (G, "b")],
        [(H, "a"), (G, "b"), (H, "c")],
        [(H, "a"), (H, "b"), (H, "c"), (H, "d")],
    ],
)
def test_a_pickled_pdq_index_still_matches(entries: list[tuple[str, str]]) -> None:
    pytest.importorskip("threatexchange", reason="python-threatexchange is a dev extra")
    import mediaproof.exchange_pytx  # noqa: F401  (loading it installs the rebuild)

    want = sorted(meta for h, meta in entries if h == H)
    assert _found(entries, H) == want
    assert _found(entries, NEAR) == want
    assert _found(entries, G) == sorted(meta for h, meta in entries if h == G)


def test_the_rebuild_keeps_ids_and_hashes() -> None:
    pytest.importorskip("threatexchange", reason="python-threatexchange is a dev extra")
    from threatexchange.signal_type.pdq.pdq_index import PDQIndex

    import mediaproof.exchange_pytx  # noqa: F401

    index = pickle.loads(pickle.dumps(PDQIndex([(G, "x"), (H, "y")] * 2)))
    assert index.index.faiss_index.ntotal == 4
    assert [index.index.hash_at(i) for i in range(4)] == [G, H, G, H]
    assert [m.metadata for m in index.query(G)] == ["x", "x"]
