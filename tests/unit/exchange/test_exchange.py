"""The exchange's pure parts: rows and their log entries, paging positions, tombstones,
snapshot formats (read back by python-threatexchange itself) and a peer's checks."""

from __future__ import annotations

import csv
import dataclasses
import io
from pathlib import Path

import pytest

from mediaproof.errors import UsageError
from mediaproof.exchange.errors import BehindHorizonError, PullRefusedError
from mediaproof.exchange.log import ProvedRow, Trusted, origin_for, tree_of, verify_pull
from mediaproof.exchange.models import (
    BankedDecision,
    Category,
    CollectionSpec,
    FeedRow,
    InclusionRule,
    Require,
    SignalType,
    check_position,
    check_value,
    live_signals,
)
from mediaproof.exchange.snapshot import CSV_COLUMNS, dataset_csv, local_file
from mediaproof.transparency.checkpoint import Checkpoint, sign_checkpoint
from mediaproof.transparency.merkle import MemoryTree
from mediaproof.transparency.note import Ed25519Signer

PDQ = [f"{i:02x}" * 32 for i in range(1, 9)]
VPDQ = ",".join(PDQ[:3])
KEY = Ed25519Signer.generate("a.example/exchange")


def row(seq: int, st: SignalType, value: str, *, deleted: bool = False, **kw: object) -> FeedRow:
    base: dict[str, object] = dict(
        collection="elections",
        seq=seq,
        signal_type=st,
        value=value,
        category=Category.POSITIVE_CLASS,
        tags=("deepfake_of_candidate",),
        quality=None,
        owner="County A",
        deleted=deleted,
        time="2026-12-06T06:00:00Z",
    )
    base.update(kw)
    return FeedRow(**base)  # type: ignore[arg-type]


def history() -> list[FeedRow]:
    return [
        row(1, SignalType.PDQ, PDQ[0]),
        row(2, SignalType.VPDQ, VPDQ),
        row(3, SignalType.PDQ, PDQ[1]),
        row(4, SignalType.PDQ, PDQ[0], deleted=True),
        row(5, SignalType.VIDEO_MD5, "ab" * 16),
        row(6, SignalType.CHROMAPRINT, "0a0b0c0d" * 4),
    ]


# --- rows and values -------------------------------------------------------------------


def test_entry_is_canonical_and_binds_every_field() -> None:
    r = row(1, SignalType.PDQ, PDQ[0])
    assert r.entry() == row(1, SignalType.PDQ, PDQ[0]).entry()
    assert r.entry().startswith(b'{"category":"positive_class","collection":"elections"')
    for change in (
        {"seq": 2},
        {"value": PDQ[1]},
        {"category": Category.NEGATIVE_CLASS},
        {"tags": ()},
        {"quality": 90},
        {"owner": "County B"},
        {"deleted": True},
        {"time": "2026-12-06T06:00:01Z"},
        {"collection": "other"},
    ):
        assert dataclasses.replace(r, **change).entry() != r.entry(), change  # type: ignore[arg-type]


def test_row_json_round_trip_and_refusals() -> None:
    r = row(3, SignalType.VPDQ, VPDQ, quality=80)
    d = r.as_json()
    assert d["leaf_index"] == 2
    assert FeedRow.from_json("elections", d) == r
    bad = [
        {**d, "seq": 0},
        {**d, "seq": True},
        {**d, "leaf_index": 3},
        {**d, "signal_type": "tmk"},
        {**d, "value": "zz"},
        {**d, "category": "DISPUTED"},
        {**d, "deleted": "no"},
        {**d, "quality": 101},
        {**d, "tags": ["b", "a"]},
        {**d, "tags": ["has space"]},
        {k: v for k, v in d.items() if k != "owner"},
    ]
    for b in bad:
        with pytest.raises(UsageError):
            FeedRow.from_json("elections", b)


def test_values_are_checked_and_canonical() -> None:
    assert check_value(SignalType.PDQ, PDQ[0].upper()) == PDQ[0]
    assert check_value(SignalType.VIDEO_MD5, "AB" * 16) == "ab" * 16
    assert check_value(SignalType.VPDQ, VPDQ) == VPDQ
    for st, v in (
        (SignalType.PDQ, PDQ[0][:-1]),
        (SignalType.PDQ, "g" * 64),
        (SignalType.VIDEO_MD5, "ab" * 17),
        (SignalType.VPDQ, PDQ[0] + ","),
        (SignalType.CHROMAPRINT, "0a0b0c"),
        (SignalType.CHROMAPRINT, ""),
    ):
        with pytest.raises(UsageError):
            check_value(st, v)


def test_collection_spec_validation() -> None:
    CollectionSpec("elections", "County A", policy_url="https://a.example/policy").validate()
    for bad in (
        CollectionSpec("Elections", "County A"),
        CollectionSpec("elections", " "),
        CollectionSpec("elections", "County A", signal_types=()),
        CollectionSpec("elections", "County A", policy_url="javascript:alert(1)"),
        CollectionSpec("elections", "County A", tombstone_days=0),
    ):
        with pytest.raises(UsageError):
            bad.validate()


def test_inclusion_rule() -> None:
    two = BankedDecision("remove", "deepfake_of_candidate", True, False, True)
    one = dataclasses.replace(two, second_reviewer=False, outcome="label")
    auto = dataclasses.replace(two, automated=True)
    default = InclusionRule()
    assert default.admits(two)
    assert not default.admits(one)  # one reviewer is not enough by default
    assert not default.admits(auto)  # the bank's own automatic labels never vouch
    final = InclusionRule(Require.FINAL_DECISION)
    assert final.admits(one) and not final.admits(auto)
    assert not InclusionRule(outcomes=("remove",), require=Require.FINAL_DECISION).admits(one)
    assert not InclusionRule(categories=("intimate_deepfake",)).admits(two)
    assert InclusionRule.from_dict(default.as_dict()) == default
    with pytest.raises(UsageError):
        InclusionRule.from_dict({"require": "one_reviewer"})
    with pytest.raises(UsageError):
        InclusionRule.from_dict({"surprise": 1})


# --- paging and tombstones -------------------------------------------------------------


def test_position_behind_the_horizon_must_reload() -> None:
    check_position(0, 50)  # a new client starts from the beginning
    check_position(50, 50)
    check_position(70, 50)
    with pytest.raises(BehindHorizonError) as e:
        check_position(49, 50)
    assert e.value.code == "reload_snapshot" and e.value.http_status == 410
    with pytest.raises(UsageError):
        check_position(-1, 0)


def test_live_signals_apply_tombstones_in_order() -> None:
    live = live_signals(history())
    assert (SignalType.PDQ, PDQ[0]) not in live  # withdrawn at 4
    assert set(live) == {
        (SignalType.VPDQ, VPDQ),
        (SignalType.PDQ, PDQ[1]),
        (SignalType.VIDEO_MD5, "ab" * 16),
        (SignalType.CHROMAPRINT, "0a0b0c0d" * 4),
    }
    readded = [*history(), row(7, SignalType.PDQ, PDQ[0])]
    assert live_signals(readded)[(SignalType.PDQ, PDQ[0])].seq == 7


# --- snapshots ---------------------------------------------------------------------------


def test_snapshot_formats() -> None:
    live = list(live_signals(history()).values())
    assert local_file(live) == f"pdq {PDQ[1]}\nvideo_md5 {'ab' * 16}\n"
    rows = list(csv.DictReader(io.StringIO(dataset_csv(live, "elections"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows == [
        {
            "signal_type": "pdq",
            "signal_str": PDQ[1],
            "collab": "elections",
            "category": "POSITIVE_CLASS",
            "tags": "deepfake_of_candidate",
        },
        {
            "signal_type": "video_md5",
            "signal_str": "ab" * 16,
            "collab": "elections",
            "category": "POSITIVE_CLASS",
            "tags": "deepfake_of_candidate",
        },
    ]


def test_python_threatexchange_reads_our_snapshot(tmp_path: Path) -> None:
    pytest.importorskip("threatexchange", reason="python-threatexchange is a dev extra")
    from threatexchange.exchanges.impl.file_api import (
        FileCollaborationConfig,
        LocalFileSignalExchangeAPI,
    )
    from threatexchange.signal_type.md5 import VideoMD5Signal
    from threatexchange.signal_type.pdq.signal import PdqSignal

    live = list(live_signals(history()).values())
    path = tmp_path / "elections.txt"
    path.write_text(local_file(live))
    api = LocalFileSignalExchangeAPI.for_collab(
        FileCollaborationConfig(
            name="elections", api="local_file", enabled=True, filename=str(path)
        )
    )
    deltas = list(api.fetch_iter([PdqSignal, VideoMD5Signal], None))
    keys = set().union(*(d.updates.keys() for d in deltas))
    assert keys == {("pdq", PDQ[1]), ("video_md5", "ab" * 16)}
    for st, value in keys:
        cls = {"pdq": PdqSignal, "video_md5": VideoMD5Signal}[st]
        assert cls.get_name() == st
        assert cls.validate_signal_str(value) == value
    # the dataset CSV columns are the ones its `dataset --csv` writes
    import inspect

    from threatexchange.cli import dataset_cmd

    assert str(list(CSV_COLUMNS)).replace("'", '"') in inspect.getsource(dataset_cmd)


# --- a peer's checks ------------------------------------------------------------------


def serve(rows: list[FeedRow], size: int | None = None) -> tuple[bytes, MemoryTree]:
    tree = tree_of(rows)
    n = tree.size if size is None else size
    cp = Checkpoint(origin_for(KEY.name, "elections"), n, tree.root(n))
    return sign_checkpoint(cp, KEY).encode(), tree


def proved(tree: MemoryTree, rows: list[FeedRow], size: int) -> list[ProvedRow]:
    return [ProvedRow(r, tuple(tree.inclusion_proof(r.leaf_index, size))) for r in rows]


ORIGIN = origin_for(KEY.name, "elections")


def first_pull() -> tuple[Trusted, list[FeedRow]]:
    rows = history()[:3]
    note, tree = serve(rows)
    cp = verify_pull(KEY.verifier, ORIGIN, None, note, [], proved(tree, rows, 3))
    assert cp.size == 3
    return Trusted(cp.size, cp.root), rows


def test_an_honest_pull_verifies() -> None:
    trusted, _ = first_pull()
    rows = history()
    note, tree = serve(rows)
    new = rows[3:]
    cp = verify_pull(
        KEY.verifier, ORIGIN, trusted, note, tree.consistency_proof(3), proved(tree, new, 6)
    )
    assert (cp.size, cp.root) == (6, tree.root())
    # nothing new: the same tree again
    verify_pull(KEY.verifier, ORIGIN, Trusted(6, tree.root()), note, [], [])


def test_a_changed_old_row_is_refused() -> None:
    trusted, _ = first_pull()
    rows = history()
    rows[1] = dataclasses.replace(rows[1], value=PDQ[2] + "," + PDQ[3])  # rewritten on disk
    note, tree = serve(rows)  # the publisher signs what its store now says
    with pytest.raises(PullRefusedError, match="history was rewritten"):
        verify_pull(
            KEY.verifier,
            ORIGIN,
            trusted,
            note,
            tree.consistency_proof(3),
            proved(tree, rows[3:], 6),
        )


def test_a_dropped_row_is_refused() -> None:
    trusted, _ = first_pull()
    rows = [r for r in history() if r.seq != 2]
    note, tree = serve(rows)
    with pytest.raises(PullRefusedError, match="history was rewritten"):
        verify_pull(KEY.verifier, ORIGIN, trusted, note, tree.consistency_proof(3), [])
    # a store that shrank below what was seen
    short = history()[:2]
    note, tree = serve(short)
    with pytest.raises(PullRefusedError, match="shrank"):
        verify_pull(KEY.verifier, ORIGIN, trusted, note, [], [])


def test_a_changed_new_row_and_gaps_are_refused() -> None:
    trusted, _ = first_pull()
    rows = history()
    note, tree = serve(rows)
    cons = tree.consistency_proof(3)
    served = proved(tree, rows[3:], 6)
    tampered = [
        served[0],
        ProvedRow(dataclasses.replace(served[1].row, deleted=True), served[1].proof),
    ]
    with pytest.raises(PullRefusedError, match="not in the signed log"):
        verify_pull(KEY.verifier, ORIGIN, trusted, note, cons, tampered)
    with pytest.raises(PullRefusedError, match="a row is missing"):
        verify_pull(KEY.verifier, ORIGIN, trusted, note, cons, [served[0], served[2]])
    beyond = [*proved(tree, rows[3:5], 5), ProvedRow(rows[5], ())]
    note5, _ = serve(rows, 5)
    with pytest.raises(PullRefusedError, match="beyond the checkpoint"):
        verify_pull(KEY.verifier, ORIGIN, trusted, note5, tree.consistency_proof(3, 5), beyond)


def test_wrong_key_or_origin_is_refused() -> None:
    rows = history()
    note, tree = serve(rows)
    other = Ed25519Signer.generate(KEY.name)  # same name, different key
    with pytest.raises(PullRefusedError, match="pinned key"):
        verify_pull(other.verifier, ORIGIN, None, note, [], proved(tree, rows, 6))
    with pytest.raises(PullRefusedError, match="pinned key"):
        verify_pull(
            KEY.verifier, origin_for(KEY.name, "other"), None, note, [], proved(tree, rows, 6)
        )


def test_a_snapshot_reload_need_not_be_contiguous() -> None:
    trusted, _ = first_pull()
    rows = history()
    note, tree = serve(rows)
    live = sorted(live_signals(rows).values(), key=lambda r: r.seq)
    cp = verify_pull(
        KEY.verifier,
        ORIGIN,
        trusted,
        note,
        tree.consistency_proof(3),
        proved(tree, live, 6),
        contiguous=False,
    )
    assert cp.size == 6
