"""Look-alike signer names: what must match, and what must not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mediaproof.provenance.lookalike import KnownSigner, find_lookalike, skeleton

KNOWN = [KnownSigner("County Elections Office", "this instance's own signer")]


@pytest.mark.parametrize(
    "claimed",
    [
        "County Elections Office",
        "county elections office",
        "COUNTY  ELECTIONS  OFFICE.",
        "County-Elections-Office",
        "C0unty E1ections 0ffice",  # digits for letters
        "Сounty Еlections Оffice",  # Cyrillic С, Е, О
        "County Élections Office",  # an accent
    ],
)
def test_same_name_in_disguise_matches(claimed: str) -> None:
    look = find_lookalike({"organization": claimed}, KNOWN)
    assert look is not None and look["relation"] == "same", claimed


def test_a_longer_name_containing_a_known_one_is_flagged_as_containing() -> None:
    look = find_lookalike({"common_name": "County Elections Office content signing"}, KNOWN)
    assert look is not None and look["relation"] == "contains"
    assert look["field"] == "common_name" and look["known_as"] == "this instance's own signer"


@pytest.mark.parametrize(
    "claimed",
    ["County Elections Board", "Riverside Community Blog", "Elections", "Office", "", "  "],
)
def test_other_names_do_not_match(claimed: str) -> None:
    assert find_lookalike({"organization": claimed, "common_name": None}, KNOWN) is None


def test_short_known_names_match_only_exactly() -> None:
    known = [KnownSigner("ACME", "a registered signer")]
    assert find_lookalike({"organization": "Acme"}, known) is not None
    assert find_lookalike({"organization": "Acme Widgets Blog"}, known) is None


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_random_names_never_match_unless_their_skeleton_does(name: str) -> None:
    look = find_lookalike({"organization": name}, KNOWN)
    target = skeleton(KNOWN[0].name)
    assert (look is not None) == (bool(skeleton(name)) and target in skeleton(name))
