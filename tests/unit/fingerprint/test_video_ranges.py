"""The part plan of a long video (fingerprint.video_ranges.plan_ranges; docs/queue.md,
"Long media in parts"): ranges of about a part each, covering every frame once, with a
short tail joined to the part before it instead of costing a task of its own."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest

from mediaproof.fingerprint.video_ranges import MIN_TAIL_SHARE, FrameIndex, plan_ranges


def index(seconds: float, fps: int = 30) -> FrameIndex:
    n = round(seconds * fps)
    return FrameIndex(pts=tuple(range(0, n * 1000, 1000)), rate=Fraction(fps), nb_frames=n)


def covers(ranges: list[tuple[int, int]], frames: int) -> bool:
    return (
        ranges[0][0] == 0
        and ranges[-1][1] == frames
        and all(a[1] == b[0] for a, b in itertools.pairwise(ranges))
        and all(n0 < n1 for n0, n1 in ranges)
    )


def test_a_2s_tail_joins_the_last_part() -> None:
    """The case that prompted it: 602 s in 120 s parts used to end in a part of 2 s."""
    ranges = plan_ranges(index(602.0), 120.0)
    assert ranges == [(0, 3600), (3600, 7200), (7200, 10800), (10800, 14400), (14400, 18060)]
    assert covers(ranges, 18060)


@pytest.mark.parametrize(
    ("seconds", "parts", "last_s"),
    [
        (600.0, 5, 120.0),  # whole parts: nothing to join
        (630.0, 6, 30.0),  # a tail of exactly a quarter part stays a part
        (629.9, 5, 149.9),  # a frame less joins the part before
        (125.0, 1, 125.0),  # up to 1.25 parts is one range (plan_parts: not split)
        (150.0, 2, 30.0),
        (60.0, 1, 60.0),  # shorter than a part
    ],
)
def test_the_plan_at_the_edges(seconds: float, parts: int, last_s: float) -> None:
    idx = index(seconds)
    ranges = plan_ranges(idx, 120.0)
    assert len(ranges) == parts
    assert covers(ranges, idx.frames)
    assert (ranges[-1][1] - ranges[-1][0]) / 30 == pytest.approx(last_s)
    # every range but the last is a whole part; the last from a quarter to 1.25 parts
    assert all(n1 - n0 == 3600 for n0, n1 in ranges[:-1])
    if parts > 1:
        assert MIN_TAIL_SHARE * 3600 <= ranges[-1][1] - ranges[-1][0] < 1.25 * 3600


def test_any_length_is_covered_once() -> None:
    for frames in range(1, 400):
        idx = FrameIndex(pts=tuple(range(frames)), rate=Fraction(10), nb_frames=frames)
        ranges = plan_ranges(idx, 2.0)  # 20 frames a part
        assert covers(ranges, frames), frames
        assert all(n1 - n0 >= 5 for n0, n1 in ranges[1:]), frames  # no tail under 1/4
