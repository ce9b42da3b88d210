"""The fast DigitalSourceType scan finds exactly what the plain regex scan finds."""

from __future__ import annotations

import random

from mediaproof.analysis.analyzers.generator import _DST_RE, _dst_matches

PIECES = [
    b"http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia",
    b"HTTPS://WWW.CV.IPTC.ORG/NEWSCODES/DIGITALSOURCETYPE/x",
    b"cv.iptc.org/newscodes/digitalsourcetype/",  # no code after it: no match
    b"www.cv.iptc.org/newscodes/digitalsourcetype/abc",
    b"xhttps://cv.iptc.org/newscodes/digitalsourcetype/Z",
    b"\xc3\x89cv.iptc.org/NewsCodes/digitalsourcetype/a1",
    b"http://cv.iptc.org/newscodes/digitalsourcetype/http://cv.iptc.org/newscodes/digitalsourcetype/q",
]


def spans(matches: object) -> list[tuple[int, int, bytes]]:
    return [(m.start(), m.end(), m.group(0)) for m in matches]  # type: ignore[attr-defined]


def test_fast_scan_equals_the_regex_scan_on_random_mixtures() -> None:
    rnd = random.Random(20261206)
    for _ in range(3000):
        blob = b"".join(
            rnd.choice([*PIECES, rnd.randbytes(rnd.randint(0, 20))])
            for _ in range(rnd.randint(0, 8))
        )
        assert spans(_dst_matches(blob)) == spans(_DST_RE.finditer(blob)), blob


def test_a_declaration_deep_in_a_large_file_is_found() -> None:
    blob = random.Random(1).randbytes(2_000_000) + PIECES[0]
    found = spans(_dst_matches(blob))
    assert found == spans(_DST_RE.finditer(blob)) and len(found) == 1
