"""Fingerprints that survive re-encoding: PDQ (images, ``pdq``), vPDQ (video frames,
``video``), Chromaprint (sound, ``audio``) and MD5 for exact copies.

``fingerprints.fingerprint_file`` gives every fingerprint of a file by media kind;
``protocol.Fingerprinter`` is the contract each fingerprinter satisfies (and how to add
one). See docs/fingerprints.md.
"""

__all__: list[str] = []  # nothing at package level: import its modules
