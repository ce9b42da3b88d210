"""Which product names declare a generative-AI tool, and which do not.

A generator may write its name into EXIF ``Software``, XMP ``CreatorTool`` or a PNG
``Software`` text chunk. Matching names as substrings called ordinary editors AI
("...Studio" holds "udio", "Imagenomic" holds "Imagen", "Sparkling" holds "kling"), so a
name counts only as whole tokens, from this curated table:

* :data:`GENERATORS` ``strong`` patterns are distinctive product names; they match as
  whole words anywhere in the field ("Midjourney v6", "Adobe Firefly Image 3").
* ``weak`` tokens are also ordinary words or parts of other product names (Imagen, Runway,
  Kling, Udio, Suno, Sora, Gemini, Grok, FLUX, Firefly, Veo, Pika). They match only when
  the field is that product's name and nothing else: the token, optionally its vendor, a
  version or model variant and "AI" ("Google Imagen 3", "Kling AI v1.6", "FLUX.1 [dev]").
  "Runway Photo Editor" or "Sora Studio" do not match.
* :data:`EDITORS` lists well-known non-generative editors and camera firmware. They are
  the negative cases of the tests, and a field that names one never matches a weak token.
  Editors that can run generative fill (Photoshop, Lightroom) declare it through C2PA or
  the IPTC digital source type, not through ``Software``: "Adobe Photoshop 25.0" alone is
  not an AI claim.

Where known, each entry notes the exact string the product writes. A match is the file's
own declaration, never proof; no match says nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD_L = r"(?<![A-Za-z0-9])"
_WORD_R = r"(?![A-Za-z0-9])"


@dataclass(frozen=True)
class Generator:
    name: str  # what the reason calls it
    strong: tuple[str, ...] = ()  # regexes matched as whole words anywhere
    weak: str | None = None  # a token that counts only when it is the field's product
    vendors: tuple[str, ...] = ()  # words that may precede a weak token
    source: str = ""  # where the string comes from, when known


GENERATORS: tuple[Generator, ...] = (
    Generator(
        "Midjourney",
        (r"mid[\s_-]?journey",),
        source="Midjourney downloads carry the name in XMP/IPTC metadata",
    ),
    Generator(
        "DALL·E (OpenAI)",
        (
            # EXIF ASCII writers turn "·" into "?", UTF-8 read as Latin-1 into "Â·"
            r"dall(?:[\s·‧.\-_?]|Â·)?e(?:[\s\-_]?[23])?",
        ),
        source="OpenAI images: C2PA claim generator and metadata name DALL·E",
    ),
    Generator(
        "ChatGPT image generation (OpenAI)",
        (r"chatgpt", r"gpt[\s-]?4o[\s-]image", r"gpt[\s-]image[\s-]?1"),
        source="OpenAI's C2PA softwareAgent names GPT-4o / ChatGPT",
    ),
    Generator(
        "Adobe Firefly",
        (r"adobe[\s_-]?firefly",),
        weak="firefly",
        vendors=("adobe",),
        source="Firefly web app writes 'Adobe Firefly' (C2PA softwareAgent, XMP CreatorTool)",
    ),
    Generator(
        "Google's generative AI",
        (r"made with google ai", r"google[\s-]ai[\s-]generated"),
        source="IPTC Credit Line Google adds to Imagen/Gemini outputs: 'Made with Google AI'",
    ),
    Generator("Google Imagen", weak="imagen", vendors=("google", "vertex", "ai")),
    Generator("Google Veo", weak="veo", vendors=("google",)),
    Generator("Google Gemini", weak="gemini", vendors=("google",)),
    Generator(
        "Stable Diffusion",
        (r"stable[\s_-]?diffusion(?:[\s_-]?xl)?", r"sdxl", r"sd[\s_-]?webui"),
        source="A1111/Forge and many front ends write 'Stable Diffusion' or 'SDXL'",
    ),
    Generator(
        "Stable Diffusion web UI (AUTOMATIC1111)",
        (r"automatic1111", r"stable-diffusion-webui"),
        source="AUTOMATIC1111/stable-diffusion-webui",
    ),
    Generator("Stability AI", (r"stability[\s.]?ai", r"dream[\s_-]?studio", r"stable[\s_-]?audio")),
    Generator("ComfyUI", (r"comfy[\s_-]?ui",), source="comfyanonymous/ComfyUI"),
    Generator("InvokeAI", (r"invoke[\s_-]?ai",), source="invoke-ai/InvokeAI"),
    Generator(
        "NovelAI",
        (r"novel[\s_-]?ai",),
        source="NovelAI PNGs: Software='NovelAI', Source='NovelAI Diffusion ...'",
    ),
    Generator("Fooocus", (r"fooocus",), source="lllyasviel/Fooocus"),
    Generator("Leonardo.Ai", (r"leonardo[\s.]?ai",)),
    Generator("Ideogram", (r"ideogram(?:[\s.]?ai)?",)),
    Generator("Microsoft Bing Image Creator", (r"bing[\s_-]image[\s_-]creator",)),
    Generator("Microsoft Designer", (r"microsoft[\s_-]designer",)),
    Generator("Amazon Titan Image Generator", (r"titan[\s_-]image(?:[\s_-]generator)?",)),
    Generator("Meta AI", (r"imagine[\s_-]with[\s_-]meta(?:[\s_-]ai)?", r"meta[\s_-]ai")),
    Generator(
        "Black Forest Labs FLUX",
        (r"flux\.1",),
        weak="flux",
        vendors=("black", "forest", "labs", "bfl"),
    ),
    Generator("xAI Grok", (r"grok[\s_-]?imagine",), weak="grok", vendors=("xai",)),
    Generator("Runway", (r"runway[\s_-]?ml", r"runway[\s_-]gen[\s_-]?\d"), weak="runway"),
    Generator("Kling AI", (r"kling[\s_-]?ai",), weak="kling", vendors=("kuaishou",)),
    Generator("OpenAI Sora", weak="sora", vendors=("openai",)),
    Generator("Pika", (r"pika[\s_-]?labs",), weak="pika"),
    Generator("Luma Dream Machine", (r"luma[\s_-]dream[\s_-]machine",)),
    Generator("Craiyon", (r"craiyon",)),
    Generator("NightCafe", (r"nightcafe(?:[\s_-]studio)?",)),
    Generator("Playground AI", (r"playground[\s_-]?ai",)),
    Generator("ElevenLabs", (r"eleven[\s_-]?labs",)),
    Generator("Suno", (r"suno[\s_-]ai",), weak="suno"),
    Generator("Udio", weak="udio"),
)

# words that may stand beside a weak token without making the field another product's
# name: versions and model variants, and "AI"
_VARIANT_WORDS = frozenset(
    {
        "ai",
        "v",
        "ver",
        "version",
        "model",
        "image",
        "video",
        "pro",
        "ultra",
        "fast",
        "turbo",
        "dev",
        "schnell",
        "max",
        "kontext",
        "flash",
        "preview",
        "alpha",
        "beta",
        "gen",
        "generate",
        "generated",
        "generator",
        "by",
        "with",
        "made",
        "created",
        "using",
    }
)


@dataclass(frozen=True)
class Editor:
    name: str
    pattern: str  # regex, matched as whole words
    example: str  # a string the product (or firmware) really writes, for the tests


EDITORS: tuple[Editor, ...] = (
    Editor("Adobe Photoshop", r"adobe[\s_-]photoshop", "Adobe Photoshop 25.0 (Macintosh)"),
    Editor(
        "Adobe Photoshop Lightroom",
        r"lightroom",
        "Adobe Photoshop Lightroom Classic 13.0 (Windows)",
    ),
    Editor("Adobe Photoshop Express", r"photoshop[\s_-]express", "Adobe Photoshop Express 3.9"),
    Editor("GIMP", r"gimp", "GIMP 2.10.36"),
    Editor("Affinity Photo", r"affinity[\s_-]photo", "Affinity Photo 2.3.0"),
    Editor("Capture One", r"capture[\s_-]one", "Capture One 23 Macintosh"),
    Editor("DxO PhotoLab", r"dxo[\s_-]photolab", "DxO PhotoLab 7.1"),
    Editor("Luminar", r"luminar", "Luminar Neo - 1.15.0"),
    Editor("darktable", r"darktable", "darktable 4.6.0"),
    Editor("RawTherapee", r"rawtherapee", "RawTherapee 5.9"),
    Editor("Paint.NET", r"paint\.net", "Paint.NET 5.0.11"),
    Editor("Pixelmator", r"pixelmator", "Pixelmator Pro 3.5"),
    Editor("Canva", r"canva", "Canva"),
    Editor("Snapseed", r"snapseed", "Snapseed 2.0"),
    Editor("Apple iOS", r"ios[\s_-]?\d+(?:\.\d+)*|^\d+\.\d+(?:\.\d+)?$", "17.1.1"),
    Editor("Apple Photos", r"photos[\s_-]\d+(?:\.\d+)*", "Photos 9.0"),
    Editor("Google Pixel HDR+", r"hdr\+", "HDR+ 1.0.540104767zd"),
    Editor("Samsung camera firmware", r"^[A-Z]\d{3}[A-Z0-9]{9,12}$", "S918BXXU1AWBD"),
    Editor("Android camera", r"android", "Android UP1A.231005.007"),
    Editor("Canon firmware", r"firmware[\s_-]version", "Firmware Version 1.8.1"),
    Editor("Nikon firmware", r"^ver\.\d", "Ver.1.10"),
    Editor("Sony camera", r"ilce-\w+[\s_-]v\d", "ILCE-7M4 v2.00"),
    Editor("Fujifilm camera", r"digital[\s_-]camera[\s_-]x-\w+", "Digital Camera X-T5 Ver1.10"),
    Editor("Windows Photo Editor", r"windows[\s_-]photo", "Windows Photo Editor 10.0.10011.16384"),
    Editor("Microsoft Photos", r"microsoft[\s_-]photos", "Microsoft Photos 2024.11050.3002.0"),
    Editor("ACDSee", r"acdsee", "ACDSee Ultimate 2024"),
    Editor("Corel PaintShop", r"paintshop", "Corel PaintShop Pro 25.0"),
    Editor("Picasa", r"picasa", "Picasa"),
    Editor("Photopea", r"photopea", "Photopea"),
    Editor("Krita", r"krita", "Krita 5.2.2"),
    Editor("ImageMagick", r"imagemagick", "ImageMagick 7.1.1-21"),
    Editor("Topaz Photo AI", r"topaz", "Topaz Photo AI 2.4.0"),
    Editor("ON1 Photo RAW", r"on1[\s_-]photo", "ON1 Photo RAW 2024"),
    Editor("Imagenomic Portraiture", r"imagenomic", "Imagenomic Portraiture 4"),
    Editor("Polarr", r"polarr", "Polarr Photo Editor"),
    Editor("VSCO", r"vsco", "VSCO"),
    Editor("Instagram", r"instagram", "Instagram"),
)


@dataclass(frozen=True)
class Match:
    generator: str  # the table entry's name
    matched: str  # the text in the field that matched


def _strong_re(g: Generator) -> re.Pattern[str] | None:
    if not g.strong:
        return None
    return re.compile(_WORD_L + "(?:" + "|".join(g.strong) + ")" + _WORD_R, re.IGNORECASE)


_STRONG = [(g, _strong_re(g)) for g in GENERATORS]
_EDITORS_RE = re.compile(
    "|".join(f"(?:{_WORD_L}(?:{e.pattern}){_WORD_R})" for e in EDITORS), re.IGNORECASE
)
_TOKEN = re.compile(r"[A-Za-z]+|\d+")


def editor_in(value: str) -> str | None:
    """The known editor or firmware a field names, if any."""
    for e in EDITORS:
        if re.search(f"{_WORD_L}(?:{e.pattern}){_WORD_R}", value.strip(), re.IGNORECASE):
            return e.name
    return None


def _weak_match(g: Generator, value: str) -> str | None:
    """The weak token, when the field is that product's name and nothing else."""
    assert g.weak is not None
    words = [w.lower() for w in _TOKEN.findall(value)]
    if g.weak not in words:
        return None
    allowed = {g.weak, *g.vendors} | _VARIANT_WORDS
    for w in words:
        # numbers and version words ("v6", "3.1", "1.6 [dev]") are fine; "X" in
        # "Firefly X" may be another product's name, so single letters are not
        if w.isdigit() or w in allowed:
            continue
        return None
    return g.weak


def match_generator(value: str) -> Match | None:
    """The table entry a product-name field declares, or None. See the module docstring."""
    text = " ".join(value.split())[:300]
    if not text:
        return None
    for g, rx in _STRONG:
        if rx is not None:
            m = rx.search(text)
            if m:
                return Match(g.name, m.group(0))
    if _EDITORS_RE.search(text):
        return None  # an editor's name that merely holds a weak token
    for g in GENERATORS:
        if g.weak is not None:
            got = _weak_match(g, text)
            if got is not None:
                return Match(g.name, got)
    return None
