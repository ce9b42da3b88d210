"""What a contribution may hold and the quality gate at submit: PDQ quality below 50 and
flat hashes (popcount outside 96..160, the puller's ingest gate) are refused, the
boundaries themselves pass."""

from __future__ import annotations

import pytest

from mediaproof.errors import UsageError
from mediaproof.exchange.contributions import (
    QualityGateError,
    check_contribution,
    gate,
)
from mediaproof.exchange.models import Category, SignalType

ALLOWED = (SignalType.PDQ, SignalType.VIDEO_MD5)


def with_bits(n: int) -> str:
    """A PDQ value with exactly ``n`` bits set."""
    return f"{(1 << n) - 1:064x}"


BITS = [(0, True), (95, True), (96, False), (128, False), (160, False), (161, True), (256, True)]


@pytest.mark.parametrize(("bits", "refused"), BITS)
def test_flat_hashes_by_popcount(bits: int, refused: bool) -> None:
    why = gate(SignalType.PDQ, with_bits(bits), None)
    assert (why is not None) is refused
    if refused:
        assert f"{bits} of 256 bits set" in str(why)


def test_quality_threshold_and_other_types() -> None:
    usable = "5a" * 32
    assert gate(SignalType.PDQ, usable, 49) == "PDQ quality 49 is below 50: the hash is not usable"
    assert gate(SignalType.PDQ, usable, 50) is None
    assert gate(SignalType.PDQ, usable, None) is None
    assert gate(SignalType.VIDEO_MD5, "0" * 32, None) is None  # exact: nothing to gate


def test_check_contribution() -> None:
    got = check_contribution(
        "pdq",
        "5A" * 32,
        "investigation_seed",
        ["b", "a", "a"],
        80,
        "  Seen on two platforms; write to ops@county-b.example  ",
        allowed=ALLOWED,
        known=("county-b",),
    )
    assert (got.signal_type, got.value, got.category, got.tags, got.quality) == (
        SignalType.PDQ,
        "5a" * 32,
        Category.INVESTIGATION_SEED,
        ("a", "b"),
        80,
    )
    assert got.reason.startswith("Seen on two platforms") and "@" not in got.reason

    def bad(**kw: object) -> None:
        args: dict[str, object] = {
            "signal_type": "pdq",
            "value": "5a" * 32,
            "category": "positive_class",
            "tags": [],
            "quality": None,
            "reason": "seen",
            **kw,
        }
        check_contribution(allowed=ALLOWED, **args)  # type: ignore[arg-type]

    with pytest.raises(UsageError, match="does not take vpdq"):
        bad(signal_type="vpdq")
    with pytest.raises(UsageError, match="unknown signal type"):
        bad(signal_type="sha1")
    with pytest.raises(UsageError, match="malformed pdq"):
        bad(value="5a" * 31)
    with pytest.raises(UsageError, match="unknown category"):
        bad(category="disputed")
    with pytest.raises(UsageError, match="quality is 0 to 100"):
        bad(quality=101)
    with pytest.raises(UsageError, match="bad tag"):
        bad(tags=["has space"])
    with pytest.raises(UsageError, match="needs a reason"):
        bad(reason="   ")
    with pytest.raises(QualityGateError):
        bad(value="00" * 32)
    assert QualityGateError.http_status == 422
