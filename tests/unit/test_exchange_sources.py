"""The plain rules of python-threatexchange sources (exchange/sources.py): kinds, base
URLs (none by default), tags, categories and the redaction of credentials."""

from __future__ import annotations

import pytest

from mediaproof.errors import UsageError
from mediaproof.exchange.models import Category
from mediaproof.exchange.sources import (
    PytxExchange,
    category_of,
    check_base_url,
    clean_tags,
    parse_kind,
    record_key,
    redact,
)


def test_kinds_are_the_library_exchange_names() -> None:
    assert parse_kind("pytx:ncmec") is PytxExchange.NCMEC
    for bad in ("ncmec", "pytx:", "pytx:NCMEC", "mediaproof", "pytx:static_sample"):
        with pytest.raises(UsageError):
            parse_kind(bad)


def test_a_remote_exchange_needs_an_explicit_base_url() -> None:
    with pytest.raises(UsageError) as e:
        check_base_url(PytxExchange.STOP_NCII, None)
    assert "api.stopncii.org" in (e.value.hint or "")  # named, never called
    assert check_base_url(PytxExchange.TAT, "http://127.0.0.1:9/") == "http://127.0.0.1:9"
    for bad in ("ftp://x", "http://u:p@host", "https://h/?a=1", "host"):
        with pytest.raises(UsageError):
            check_base_url(PytxExchange.NCMEC, bad)
    assert check_base_url(PytxExchange.LOCAL_FILE, None) == ""
    with pytest.raises(UsageError):
        check_base_url(PytxExchange.LOCAL_FILE, "http://x")


def test_categories_and_tags() -> None:
    assert category_of("NEGATIVE_CLASS") is Category.NEGATIVE_CLASS
    assert category_of("POSITIVE_CLASS") is Category.POSITIVE_CLASS
    # disputed is a lead for review, never known-benign (that would suppress matches)
    assert category_of("DISPUTED") is Category.INVESTIGATION_SEED
    assert clean_tags({"Nude", "a b", "x" * 70}, extra=["stop_ncii"]) == (
        "stop_ncii",
        "Nude",
        "a_b",
        "x" * 64,
    )
    assert len(clean_tags({f"t{i}" for i in range(40)})) == 20
    assert record_key(("pdq", "ab")) == '["pdq","ab"]' and record_key("42-image1") == '"42-image1"'


def test_redact_covers_encoded_forms() -> None:
    token = "1234567890|abc/def+ghi"
    text = (
        "for url: http://h/x?access_token=1234567890%7Cabc%2Fdef%2Bghi&y=1 and "
        "1234567890|abc/def+ghi"
    )
    out = redact(text, [token, "", "ab"])
    assert "abc" not in out and out.count("***") == 2
