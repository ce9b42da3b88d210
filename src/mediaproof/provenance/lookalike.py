"""Does an unverified signer claim a name we know?

A certificate that does not chain to a trusted root can carry any organisation and
common name. When that name is the same as a trusted anchor's, this instance's own
signer's or a registered original's signer's, the file is impersonating a known
signer (or is a harmless re-sign by someone with the same name: either way the name is
not vouched for). "The same" ignores case, spaces, punctuation, accents and the usual
look-alike characters (Cyrillic and Greek letters that look Latin, 0/o, 1/l/i, rn/m).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID

# letters from other scripts that render like Latin ones (a subset of Unicode's
# confusables that covers what phishing certificates use)
_CONFUSABLE = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i",
        "ј": "j", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l",
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
        "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ϲ": "c",
        "0": "o", "1": "l", "i": "l", "|": "l", "5": "s", "$": "s", "3": "e", "@": "a",
    }
)  # fmt: skip
MIN_CONTAINED = 8  # a known name inside a longer claimed one counts from this length


def skeleton(name: str) -> str:
    """The comparable form of a name: "Test Elect1on Оffice, Inc." -> "testelectlonofflcelnc"."""
    s = unicodedata.normalize("NFKC", name).casefold().translate(_CONFUSABLE)
    s = "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))
    s = s.translate(_CONFUSABLE)
    s = "".join(c for c in s if c.isalnum())
    return s.replace("rn", "m").replace("vv", "w")


@dataclass(frozen=True)
class KnownSigner:
    name: str
    known_as: str  # "a trusted root", "this instance's signer", "a registered signer"


def names_of(cert: x509.Certificate) -> list[str]:
    out: list[str] = []
    for oid in (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME):
        out += [str(a.value) for a in cert.subject.get_attributes_for_oid(oid)]
    return out


def names_in_subject(subject: str) -> list[str]:
    """O and CN of an RFC 4514 subject; the whole string when it is a bare name."""
    try:
        name = x509.Name.from_rfc4514_string(subject)
    except (ValueError, AttributeError):
        return [subject]
    out = [
        str(a.value)
        for oid in (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME)
        for a in name.get_attributes_for_oid(oid)
    ]
    return out or [subject]


def find_lookalike(
    claimed: dict[str, str | None], known: Iterable[KnownSigner]
) -> dict[str, Any] | None:
    """The first known signer whose name one of the ``claimed`` names (field -> value,
    e.g. ``{"common_name": ..., "organization": ...}``) equals or contains."""
    known = list(known)
    for field, value in claimed.items():
        if not value:
            continue
        sk = skeleton(value)
        if not sk:
            continue
        for k in known:
            ks = skeleton(k.name)
            if not ks:
                continue
            if sk == ks or (len(ks) >= MIN_CONTAINED and ks in sk):
                return {
                    "claimed_name": value,
                    "field": field,
                    "known_name": k.name,
                    "known_as": k.known_as,
                    "exact": value == k.name,
                    "relation": "same" if sk == ks else "contains",
                }
    return None
