"""Sources pulled through python-threatexchange's own exchanges (``pytx:<exchange>``), as
plain data: the kinds, what each needs configured, what a fetched record comes to here,
and how its opinions map onto our categories. The library calls are in
:mod:`mediaproof.services.exchange_sources`; docs/exchange.md ("Sources") describes them.

A source is one of the library's ``SignalExchangeAPI`` implementations:

=====================  ==========================================  ======================
kind                   what it fetches                             verdicts back
=====================  ==========================================  ======================
``pytx:local_file``    a file of ``<type> <value>`` lines          ``report_opinion``
                                                                   (confirmed only)
``pytx:fb_threatexchange``  Meta ThreatExchange ``/threat_updates``  not in the library
``pytx:ncmec``         NCMEC hash sharing ``/v2/entries`` (XML)    not in the library
``pytx:stop_ncii``     StopNCII ``FetchHashes``                    not in the library
``pytx:tat``           Tech Against Terrorism hash list            not in the library
=====================  ==========================================  ======================

Only ``pdq`` and ``video_md5`` signals are taken (vPDQ is not yet); records of other types
are counted and skipped. Remote kinds need the operator's base URL (no default remote
call: the library's own defaults are named in the error) and a credentials file in the
library's format, which only the operator can read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from mediaproof.errors import UsageError
from mediaproof.exchange.models import MAX_TAG_LEN, MAX_TAGS, Category

MEDIAPROOF = "mediaproof"
PREFIX = "pytx:"
MAX_RECORDS_PER_PULL = 200_000  # a pull stops after this many records; the next goes on


class PytxExchange(StrEnum):
    """python-threatexchange's exchange names (``SignalExchangeAPI.get_name()``)."""

    LOCAL_FILE = "local_file"
    FB_THREATEXCHANGE = "fb_threatexchange"
    NCMEC = "ncmec"
    STOP_NCII = "stop_ncii"
    TAT = "tat"

    @property
    def kind(self) -> str:
        return PREFIX + self.value

    @property
    def remote(self) -> bool:
        return self is not PytxExchange.LOCAL_FILE


# the library's own base URLs, named in the error when an operator leaves --base-url out
# (we never call them unless the operator configures them)
LIBRARY_DEFAULT_URL: Mapping[PytxExchange, str] = {
    PytxExchange.FB_THREATEXCHANGE: "https://graph.facebook.com/v26.0",
    PytxExchange.NCMEC: "https://report.cybertip.org/hashsharing (or another environment)",
    PytxExchange.STOP_NCII: "https://api.stopncii.org/v1",
    PytxExchange.TAT: "https://app.terrorismanalytics.org/",
}

# what the credentials file holds: the library's own formats (its CredentialHelper
# ``_from_str``), so an operator's existing file works
CREDENTIALS_FORMAT: Mapping[PytxExchange, str] = {
    PytxExchange.FB_THREATEXCHANGE: "an app access token: <app id>|<secret>",
    PytxExchange.NCMEC: "<user>:<password>",
    PytxExchange.STOP_NCII: (
        "<fetch function key>,<subscription key>; optionally a second line: the "
        "SubmitFeedback function key (without it no verdict is sent)"
    ),
    PytxExchange.TAT: "<user>:<password>",
}


def parse_kind(kind: str) -> PytxExchange:
    name = kind.removeprefix(PREFIX)
    if not kind.startswith(PREFIX) or name not in {e.value for e in PytxExchange}:
        raise UsageError(
            f"unknown source kind {kind!r}",
            hint="one of: "
            + ", ".join(e.kind for e in PytxExchange)
            + " (mediaproof peers: `mediaproof exchange peer add`)",
        )
    return PytxExchange(name)


def check_base_url(exchange: PytxExchange, url: str | None) -> str:
    if not exchange.remote:
        if url:
            raise UsageError("a local_file source reads a file: it takes no --base-url")
        return ""
    if not url:
        raise UsageError(
            f"{exchange.kind} needs --base-url: mediaproof calls no exchange by default",
            hint=f"the library's own is {LIBRARY_DEFAULT_URL[exchange]}",
        )
    u = urlsplit(url)
    if u.scheme not in ("https", "http") or not u.netloc or u.query or u.fragment:
        raise UsageError("the base URL must be an http(s) URL without a query")
    if u.username or u.password:
        raise UsageError("put credentials in the credentials file, not in the base URL")
    return url.rstrip("/")


@dataclass(frozen=True)
class SourceSignal:
    """One signal a fetched record gave, as we hold it."""

    signal_type: str  # pdq | video_md5
    value: str
    category: str  # a Category value
    tags: tuple[str, ...]
    owner: str
    # where a verdict on it goes: the exchange's own ids for it in this record (JSON:
    # ThreatExchange descriptor ids, an NCMEC entry), "" where none is needed
    ref: str = ""


@dataclass(frozen=True)
class SourceRecord:
    """One record of the exchange, under its own key (JSON): the signals it gives now.
    None of them: it was deleted, or carries no type we match."""

    key: str
    signals: tuple[SourceSignal, ...]


def record_key(key: Any) -> str:
    """The exchange's record key (a string, an int or a (type, value) pair) as JSON."""
    return json.dumps(list(key) if isinstance(key, tuple) else key, separators=(",", ":"))


_AGGREGATE: Mapping[str, Category] = {
    "POSITIVE_CLASS": Category.POSITIVE_CLASS,
    "NEGATIVE_CLASS": Category.NEGATIVE_CLASS,
    "INVESTIGATION_SEED": Category.INVESTIGATION_SEED,
    # some contributors say it is, some that it is not: a lead for review, not benign
    "DISPUTED": Category.INVESTIGATION_SEED,
}


def category_of(aggregate: str) -> Category:
    """Our category for the library's ``AggregateSignalOpinionCategory`` name."""
    return _AGGREGATE.get(aggregate, Category.INVESTIGATION_SEED)


_TAG_BAD = re.compile(r"[^A-Za-z0-9_.:-]+")


def clean_tags(tags: Iterable[str], extra: Iterable[str] = ()) -> tuple[str, ...]:
    """Tags as our feed rows allow them (no spaces, 64 characters, 20 at most)."""
    out: list[str] = []
    for t in (*extra, *sorted(tags)):
        c = _TAG_BAD.sub("_", str(t)).strip("_")[:MAX_TAG_LEN]
        if c and c not in out:
            out.append(c)
    return tuple(out[:MAX_TAGS])


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every credential (and its URL-encoded form) replaced by ``***``:
    the library's errors may carry a request URL with a token in its query."""
    from urllib.parse import quote, quote_plus

    for s in sorted({x for x in secrets if x and len(x) >= 3}, key=len, reverse=True):
        for form in {s, quote(s, safe=""), quote_plus(s), quote(s)}:
            text = text.replace(form, "***")
    return text
