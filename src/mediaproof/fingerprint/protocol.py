"""The contract every fingerprinter implements.

A fingerprinter turns a media file into a compact print that survives re-encoding,
resizing and trimming, and says whether a queried copy is (part of) a registered
original. The built-in ones are :class:`~mediaproof.fingerprint.pdq.PdqFingerprinter`
(images), :class:`~mediaproof.fingerprint.video.VpdqFingerprinter` (video frames) and
:class:`~mediaproof.fingerprint.audio.ChromaprintFingerprinter` (sound);
:func:`~mediaproof.fingerprint.fingerprints.fingerprint_file` picks one by media kind.

To add a fingerprinter (for example TMK+PDQF for video, or a learned image embedding):
implement :class:`Fingerprinter` in its own module (structural typing: no base class to
inherit), give it a unique ``signal`` (the name stored with each print and asked for in
:meth:`FingerprintLookup.find_near <mediaproof.matching.lookup.FingerprintLookup.find_near>`,
whose docstring says what a lookup must store per signal), list the media ``kinds`` it
reads and the ``threshold`` the lookup is asked with; then subclass
``mediaproof.testing.fingerprinter_contract.FingerprinterContract`` in a test module to
inherit the determinism, own-reference, unrelated-file, altered-copy and not-media tests.

``fingerprint`` must give equal prints for the same file, and raise a
:class:`~mediaproof.errors.MediaproofError` (never another exception) for input it cannot
read, or return a print that matches nothing. ``reference=True`` is the registering side
and may do more work (all dihedral variants, every frame) so that a cheaper query
(``reference=False``) still matches; ``matches(query, reference)`` compares one of each.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, TypeVar, runtime_checkable

from mediaproof.config import Limits
from mediaproof.media.sniff import MediaKind

Print = TypeVar("Print")


@runtime_checkable
class Fingerprinter(Protocol[Print]):
    signal: str  # "pdq", "vpdq", "chromaprint": unique, stored with every print
    kinds: frozenset[MediaKind]  # the media kinds it reads
    threshold: float  # the distance FingerprintLookup.find_near is asked with

    def fingerprint(
        self, path: Path, *, reference: bool = False, limits: Limits | None = None
    ) -> Print:
        """The print of ``path``: ``reference=True`` for an original being registered,
        False for a queried copy. ``limits`` bound decoding (pixels, duration)."""
        ...

    def matches(self, query: Print, reference: Print) -> bool:
        """True when ``query`` shows the same media as (a part of) ``reference`` at this
        signal's operating point. Low-quality prints never match."""
        ...
