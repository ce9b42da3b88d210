"""Random product-like names and random metadata: no AI claim unless a table entry
(a generator name, a front end's PNG chunk structure) matches."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from PIL import Image, PngImagePlugin

from mediaproof.analysis.analyzers.generator import (
    PNG_CHUNKS,
    GeneratorMetadataAnalyzer,
    decode_user_comment,
)
from mediaproof.analysis.evidence import AnalysisContext
from mediaproof.analysis.generator_table import EDITORS, GENERATORS, match_generator
from mediaproof.config import Limits, Settings
from mediaproof.media.ingest import ingest_file

# every word a table entry could match on: weak tokens and the words of strong patterns
_TABLE_WORDS = {g.weak for g in GENERATORS if g.weak} | {
    w.lower() for g in GENERATORS for p in g.strong for w in re.findall(r"[a-z]{3,}", p)
}
_WEAK = sorted(g.weak for g in GENERATORS if g.weak)

word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=10)
cap_word = word.map(str.capitalize)
version = st.from_regex(r"\A[0-9]{1,2}(\.[0-9]{1,2}){0,2}\Z")
suffix = st.sampled_from(
    ["Studio", "Photo", "Pro", "Editor", "Lab", "Express", "Suite", "Mobile", "Camera", "X"]
)


@st.composite
def product_name(draw: st.DrawFn) -> str:
    parts = draw(st.lists(cap_word, min_size=1, max_size=3))
    if draw(st.booleans()):
        parts.append(draw(suffix))
    if draw(st.booleans()):
        parts.append(draw(version))
    return " ".join(parts)


@settings(max_examples=400, deadline=None)
@given(product_name())
def test_random_product_names_are_not_generators(name: str) -> None:
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", name)}
    assume(not words & _TABLE_WORDS)
    assert match_generator(name) is None


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(_WEAK),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=6),
    st.booleans(),
    product_name(),
)
def test_a_token_inside_a_longer_word_never_matches(
    token: str, extra: str, before: bool, rest: str
) -> None:
    """ "Imagenomic", "Sparkling", "Audio", "Sorapix": a token is only a whole word."""
    glued = (extra + token) if before else (token + extra)
    name = f"{glued.capitalize()} {rest}"
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", name)}
    assume(not words & _TABLE_WORDS)
    assert match_generator(name) is None


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(_WEAK),
    # (Apple's Software is a bare version number: "17.1.1 Firefly" is Firefly's name)
    st.sampled_from([e for e in EDITORS if re.search("[A-Za-z]", e.example)]),
    # product words; not model variants such as "Pro" or "Ultra", which a generator's own
    # name may carry ("FLUX 1.1 Pro")
    st.sampled_from(["Studio", "Photo", "Editor", "Lab", "Express", "Suite", "Camera", "X"]),
)
def test_a_weak_token_beside_an_editor_or_product_word_is_not_a_claim(
    token: str, editor: object, word_after: str
) -> None:
    assert match_generator(f"{token.capitalize()} {word_after}") is None
    assert match_generator(f"{editor.example} {token.capitalize()}") is None  # type: ignore[attr-defined]


def test_every_editor_example_is_not_a_generator() -> None:
    assert [e.example for e in EDITORS if match_generator(e.example)] == []


def _analyze(path: Path):  # type: ignore[no-untyped-def]
    media = ingest_file(path, Limits())
    ctx = AnalysisContext(path=path, media=media, settings=Settings(home=path.parent))
    return GeneratorMetadataAnalyzer().analyze(ctx)


chunk_key = st.sampled_from([*PNG_CHUNKS, "Software", "Source", "Title", "Description", "notes"])
text_value = st.one_of(
    st.text(max_size=80),
    product_name(),
    st.from_regex(r"\A\{\"[a-z]{1,5}\": [0-9]{1,3}\}\Z"),  # JSON that is not a front end's
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.dictionaries(chunk_key, text_value, max_size=4),
    st.one_of(st.none(), product_name(), st.text(max_size=40)),
    st.one_of(
        st.none(),
        product_name(),
        st.text(
            alphabet=st.characters(
                blacklist_characters="<>\"'&", blacklist_categories=("Cs", "Cc")
            ),
            max_size=40,
        ),
    ),
)
@example(chunks={}, software=None, creator_tool="Midjourney v6")  # the oracle can say yes
@example(chunks={"parameters": "Steps: 20, Sampler: Euler"}, software="GIMP", creator_tool=None)
def test_random_metadata_claims_ai_only_through_a_table_entry(
    chunks: dict[str, str], software: str | None, creator_tool: str | None
) -> None:
    chunks = {k: v.replace("\x00", "") for k, v in chunks.items()}
    if creator_tool:
        chunks["XML:com.adobe.xmp"] = (
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description '
            f'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="{creator_tool}"/>'
            "</rdf:RDF></x:xmpmeta>"
        )
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "r.png"
        info = PngImagePlugin.PngInfo()
        for k, v in chunks.items():
            info.add_itxt(k, v)
        exif = Image.Exif()
        if software:
            exif[0x0131] = software.encode("ascii", "replace").decode().replace("\x00", "")
        Image.new("RGB", (16, 16), (40, 50, 60)).save(path, pnginfo=info, exif=exif.tobytes())
        ev = _analyze(path)
    table_says = any(PNG_CHUNKS[k][1](v) for k, v in chunks.items() if k in PNG_CHUNKS) or any(
        match_generator(v)
        for v in [
            *(chunks.get(k, "") for k in ("Software", "Source")),
            (software or "").encode("ascii", "replace").decode(),
            (creator_tool or "").strip(),
        ]
        if v
    )
    assert ev.data["declares_ai"] == bool(table_says), ev.data["markers"]
    for m in ev.data["markers"]:
        if m["declares_ai"]:
            assert m["reason"] and (m["tool"] or m["matched"])


def test_user_comment_charsets() -> None:
    text = "Steps: 20, Sampler: Euler a, Seed: 1"
    assert decode_user_comment(b"UNICODE\x00" + text.encode("utf-16-be")) == text
    assert decode_user_comment(b"UNICODE\x00" + text.encode("utf-16-le")) == text
    assert decode_user_comment(b"UNICODE\x00" + text.encode("utf-16")) == text  # with a BOM
    assert decode_user_comment(b"ASCII\x00\x00\x00" + text.encode()) == text
    assert decode_user_comment(b"\x00" * 8 + text.encode()) == text
    assert decode_user_comment(None) is None


def test_hostile_text_is_scanned_in_linear_time() -> None:
    import time

    from mediaproof.analysis.analyzers.generator import _is_a1111, _is_invoke_dream

    hostile = "Steps: 1 -s 1 " * 200_000  # 2.8 MB, no Sampler and no -S anywhere
    t = time.monotonic()
    assert not _is_a1111(hostile) and not _is_invoke_dream(hostile)
    assert time.monotonic() - t < 5
