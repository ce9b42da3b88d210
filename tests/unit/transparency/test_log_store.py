"""The on-disk store against an in-memory tree: random batches, reopenings and damage to
derived files must never change an entry, a root or a proof."""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from mediaproof.transparency import merkle
from mediaproof.transparency.store import LogStore

ops = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(1, 300)),
        st.tuples(st.just("reopen"), st.just(0)),
        st.tuples(st.just("damage"), st.integers(0, 10)),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=25, deadline=None)
@given(ops, st.randoms(use_true_random=False))
def test_store_matches_memory_tree(steps: list[tuple[str, int]], rnd: random.Random) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = LogStore(root)
        ref = merkle.MemoryTree()
        payloads: list[bytes] = []
        try:
            for op, arg in steps:
                if op == "append":
                    batch = [
                        b"e%d-%d" % (len(payloads) + j, rnd.randrange(10**6)) for j in range(arg)
                    ]
                    assert store.append_many(batch) == len(payloads)
                    payloads += batch
                    for p in batch:
                        ref.append(p)
                elif op == "reopen":
                    store.close()
                    store = LogStore(root)
                else:  # lose the tail of a derived file, as a power cut could
                    store.close()
                    files = [*sorted((root / "hashes").glob("*.bin")), root / "entries.idx"]
                    victim = files[arg % len(files)]
                    size = victim.stat().st_size
                    os.truncate(victim, rnd.randrange(size + 1) if size else 0)
                    store = LogStore(root)
                assert store.size == len(payloads)
                n = store.size
                if n:
                    assert merkle.tree_root(store.node, n) == ref.root()
                    i = rnd.randrange(n)
                    assert store.entry(i) == payloads[i]
                    assert merkle.inclusion_proof(store.node, i, n) == ref.inclusion_proof(i)
                    old = rnd.randrange(n + 1)
                    assert merkle.consistency_proof(store.node, old, n) == ref.consistency_proof(
                        old
                    )
        finally:
            store.close()
