"""Personal data out of reviewed text: what the case service runs on every explanation,
appeal ground and statement of reasons before it is stored or published.

Removed: the case's known identities (reporters' names, signatures and addresses), any
e-mail address, phone numbers in international and common national formats, and people
named with a title or as a source. Dates, times, case numbers, digests, counts and rule
ids stay.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

EMAIL_REMOVED, PHONE_REMOVED, NAME_REMOVED = "[e-mail removed]", "[phone removed]", "[name removed]"
_EMAIL = re.compile(r"[^@\s<>\"'(),;:]+@[^@\s<>\"'(),;:]+\.[A-Za-z]{2,}")
# a run of digit groups: +CC / 00CC / (area) prefixes, separators space . - / ; the
# lookarounds keep it off parts of words, hex digests, case numbers (C-2026-000123),
# decimals and clock times (the checks in _is_phone do the rest)
_PHONE = re.compile(
    r"(?<![\w+\-/.:])(?:\+|\b00)?(?:\(\d{1,5}\)[\s.\-]?)?\d{1,15}"
    r"(?:(?:[ .\-/]|\s?\(\d{1,4}\)\s?)\d{1,10}){0,7}"
    r"(?![\w\-/:+]|[.,]\d)"
)
_NANP = re.compile(r"\(?\d{3}\)?[\s.\-]\d{3}[\s.\-]\d{4}")
_DATE_LIKE = re.compile(r"\d{1,4}[./\-]\d{1,2}[./\-]\d{1,4}")
# people named with a title, or as the source of something ("reported by Jane Roe")
_WORD = r"[A-Z][a-z\u00df-\u00ff'\-]+"
_NAME = _WORD + r"(?:\s+(?:(?:van|von|de|da|del|di|le|la)\s+)?" + _WORD + r"){0,2}"
_TITLES = r"(?:Mr|Mrs|Ms|Mx|Miss|Dr|Prof|Sir|Dame|Herr|Frau|Mme|Mlle|Sr|Sra)"
_TITLED = re.compile(rf"\b(?P<lead>{_TITLES}\.?\s+)" + _NAME)
_SOURCED = re.compile(
    r"\b(?P<lead>(?i:(?:reported|filed|flagged|sent|forwarded|submitted|posted|uploaded|"
    r"recorded|filmed|shared|signed) by\s+|(?:according to|on behalf of|contacted|"
    r"phoned|called|e-?mailed|spoke (?:to|with)|interviewed|witness)\s+))"
    rf"(?!{_TITLES}\b)" + _NAME
)
# "Jane Roe told us": a capitalised name before a verb of saying (not "The Candidate said")
_SAYS = re.compile(
    r"\b(?!(?:The|This|That|A|An|Our|Their|His|Her|Its|My|Your|We|They|He|She|It|I)\b)"
    + _WORD
    + r"\s+"
    + r"(?!(?:Office|Ministry|Commission|Committee|Campaign|Party|Council|Court|Police|"
    + r"Department|Board|Agency|News|Times|Post|Press|University|Government|Team)\b)"
    + _WORD
    + r"(?=\s+(?:told|said|says|confirmed|wrote|writes|claimed|claims|stated)\b)"
)


def _is_phone(candidate: str) -> bool:
    digits = sum(c.isdigit() for c in candidate)
    if not 7 <= digits <= 15 or _DATE_LIKE.fullmatch(candidate):
        return False
    international = candidate.startswith(("+", "00", "("))
    trunk = candidate[0] == "0"  # national numbers: 030 1234567, 06 12 34 56 78
    return international or trunk or _NANP.fullmatch(candidate) is not None


def _scrub_phones(text: str) -> str:
    return _PHONE.sub(lambda m: PHONE_REMOVED if _is_phone(m.group(0)) else m.group(0), text)


def scrub_personal_data(text: str, known: Iterable[str] = ()) -> str:
    """``text`` without personal data of people other than the subject: the case's known
    identities (``known``: reporters' names, signatures and addresses, each whole and, for
    names, each part of three letters or more), any e-mail address, phone numbers in
    international and common national formats, and people named with a title or as a
    source. Dates, times, case numbers, digests, counts and rule ids stay."""
    out = _EMAIL.sub(EMAIL_REMOVED, text)
    names = sorted({k.strip() for k in known if k and len(k.strip()) >= 3}, key=len, reverse=True)
    for k in names:
        out = re.sub(rf"(?<!\w){re.escape(k)}(?!\w)", NAME_REMOVED, out, flags=re.IGNORECASE)
    parts = {
        p for k in names if "@" not in k for p in re.split(r"[\s,]+", k) if len(p) >= 3
    } - _NOT_NAMES
    for p in sorted(parts, key=len, reverse=True):
        # a lone surname: matched as a capitalised word only, so "Rose" goes, "rose" stays
        cap = p[:1].upper() + p[1:]
        out = re.sub(rf"(?<!\w){re.escape(cap)}(?!\w)", NAME_REMOVED, out)
    out = _scrub_phones(out)
    out = _TITLED.sub(lambda m: m.group("lead") + NAME_REMOVED, out)
    out = _SOURCED.sub(lambda m: m.group("lead") + NAME_REMOVED, out)
    out = _SAYS.sub(NAME_REMOVED, out)
    return out


# words a signature or a name field may hold that are not names
_NOT_NAMES = frozenset(
    {"the", "and", "for", "von", "van", "der", "del", "Mr.", "Mrs.", "Ms.", "Dr.", "Prof."}
)
