"""Generator metadata: markers that generation tools leave in files.

These are declarations, not proof: anyone can add or strip them. A marker raises a
question; its absence says nothing. What counts as a declaration is narrow on purpose:

* product-name fields (EXIF ``Software``, XMP ``CreatorTool``, PNG ``Software``/``Source``)
  declare AI only when they name an entry of :mod:`mediaproof.analysis.generator_table`
  as whole words;
* PNG text chunks of the common front ends (AUTOMATIC1111/Forge ``parameters``, ComfyUI
  ``prompt``/``workflow``, InvokeAI, NovelAI ``Comment``) count only when their content
  has that front end's structure, not merely the key;
* EXIF ``UserComment`` (charset-prefixed, as AUTOMATIC1111 writes JPEG/WebP) counts when
  it holds AUTOMATIC1111 generation parameters;
* IPTC digital source types in XMP are worded from
  :mod:`mediaproof.provenance.source_types`; only trained-model types declare AI.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from PIL import ExifTags, Image

from mediaproof.analysis.evidence import AnalysisContext, Evidence, EvidenceStatus
from mediaproof.analysis.generator_table import match_generator
from mediaproof.media.sniff import MediaKind
from mediaproof.provenance import source_types
from mediaproof.provenance.source_types import AiRole

LIMITS = (
    "Metadata is easy to add, edit or remove. A generator marker is the file's own "
    "declaration; no marker does not mean the file was not generated."
)

# the URI of an IPTC digital source type, in XMP attribute or element form
_DST_RE = re.compile(
    rb"(?:https?://)?(?:www\.)?cv\.iptc\.org/newscodes/digitalsourcetype/([A-Za-z]+)",
    re.IGNORECASE,
)
_XMP_TOOL_RE = re.compile(rb"CreatorTool(?:=[\"']|>)\s*([^<\"']{1,200})")
_XMP_CREDIT_RE = re.compile(rb"photoshop:Credit(?:=[\"']|>)\s*([^<\"']{1,200})")
# bounded gaps (no ".*"): a hostile chunk full of "Steps: 1" must not scan quadratically
_A1111_RE = re.compile(r"(?:^|\n|,[ \t]*)Steps:[ \t]*\d+[^\n]{0,400}?(?:Sampler|Seed|CFG scale):")
_INVOKE_DREAM_RE = re.compile(r"\s-s[ \t]*\d+[^\n]{0,400}?\s-S[ \t]*\d+")
MAX_SCAN = 256 * 1024  # characters of a text field searched for a front end's record
HEAD_BYTES = 2 * 1024 * 1024
TAIL_BYTES = 256 * 1024
MAX_TEXT = 1_000_000  # a PNG text chunk larger than this is not parsed as JSON

FIELD_NAMES = {
    "exif:Software": "EXIF Software field",
    "exif:UserComment": "EXIF UserComment field",
    "exif:Make": "EXIF Make field",
    "exif:Model": "EXIF Model field",
    "xmp:CreatorTool": "XMP CreatorTool field",
    "xmp:DigitalSourceType": "XMP metadata (IPTC digital source type)",
    "xmp:Credit": "XMP credit line",
    "iptc:Credit": "IPTC credit line",
    "png:Software": "PNG Software text chunk",
    "png:Source": "PNG Source text chunk",
}


def _excerpt(value: object, n: int = 160) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _json(text: str) -> Any:
    if len(text) > MAX_TEXT:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


# --- structured PNG chunks of the common front ends ----------------------------------


def _is_a1111(text: str) -> bool:
    return bool(_A1111_RE.search(text[:MAX_SCAN]))


def _is_comfy_prompt(text: str) -> bool:
    doc = _json(text)
    return (
        isinstance(doc, dict)
        and bool(doc)
        and all(isinstance(v, dict) for v in doc.values())
        and any("class_type" in v for v in doc.values())
    )


def _is_comfy_workflow(text: str) -> bool:
    doc = _json(text)
    if not isinstance(doc, dict) or not isinstance(doc.get("nodes"), list):
        return False
    nodes = doc["nodes"]
    return bool(nodes) and all(isinstance(n, dict) and "type" in n for n in nodes)


def _is_invoke_json(text: str) -> bool:
    doc = _json(text)
    keys = {"model", "positive_prompt", "generation_mode", "app_id", "image", "nodes"}
    return isinstance(doc, dict) and bool(keys & set(doc))


def _is_invoke_dream(text: str) -> bool:
    return bool(_INVOKE_DREAM_RE.search(text[:MAX_SCAN]))


def _is_novelai_comment(text: str) -> bool:
    doc = _json(text)
    return (
        isinstance(doc, dict)
        and "steps" in doc
        and "sampler" in doc
        and bool({"uc", "n_samples", "noise_schedule", "sm"} & set(doc))
    )


# key -> (what it is, the content check that makes it a declaration)
PNG_CHUNKS: dict[str, tuple[str, Any]] = {
    "parameters": ("Stable Diffusion web UI (AUTOMATIC1111/Forge) generation settings", _is_a1111),
    "prompt": ("ComfyUI generation graph", _is_comfy_prompt),
    "workflow": ("ComfyUI workflow", _is_comfy_workflow),
    "invokeai_metadata": ("InvokeAI generation settings", _is_invoke_json),
    "invokeai_graph": ("InvokeAI generation graph", _is_invoke_json),
    "sd-metadata": ("InvokeAI generation settings", _is_invoke_json),
    "Dream": ("InvokeAI generation command", _is_invoke_dream),
    "Comment": ("NovelAI generation settings", _is_novelai_comment),
}
_CHUNK_TOOL = {
    "parameters": "Stable Diffusion web UI (AUTOMATIC1111)",
    "prompt": "ComfyUI",
    "workflow": "ComfyUI",
    "invokeai_metadata": "InvokeAI",
    "invokeai_graph": "InvokeAI",
    "sd-metadata": "InvokeAI",
    "Dream": "InvokeAI",
    "Comment": "NovelAI",
}


def decode_user_comment(raw: object) -> str | None:
    """EXIF UserComment text: an 8-byte charset prefix (``ASCII\\0\\0\\0``, ``UNICODE\\0``
    with UTF-16 in either byte order, ``JIS``, or undefined zeros), then the text."""
    if isinstance(raw, str):
        return raw
    if not isinstance(raw, bytes) or not raw:
        return None
    head, body = raw[:8], raw[8:]
    if head.startswith(b"UNICODE"):
        if body[:2] in (b"\xff\xfe", b"\xfe\xff"):
            return body.decode("utf-16", "replace")
        # no BOM: the byte order with more zero high bytes is the right one (ASCII-heavy)
        even = body[0::2].count(0)
        odd = body[1::2].count(0)
        return body.decode("utf-16-be" if even >= odd else "utf-16-le", "replace")
    if head.startswith(b"ASCII") or head == b"\x00" * 8:
        return body.decode("utf-8", "replace")
    if head.startswith(b"JIS"):
        return body.decode("shift_jis", "replace")
    return raw.decode("utf-8", "replace")


def _name_marker(source: str, value: str) -> dict[str, Any]:
    """A product-name field, matched against the generator table."""
    m = match_generator(value)
    field = FIELD_NAMES.get(source, source)
    marker: dict[str, Any] = {
        "source": source,
        "value": _excerpt(value),
        "meaning": "the software or product that wrote the file",
        "declares_ai": m is not None,
        "ai_role": AiRole.GENERATED.value if m else AiRole.NONE.value,
        "tool": m.generator if m else None,
        "matched": m.matched if m else None,
    }
    if m:
        marker["reason"] = (
            f"The {field} reads “{_excerpt(value, 80)}”, which names the generative-AI "
            f"tool {m.generator}."
        )
    return marker


def _source_type_marker(code: str, source: str) -> dict[str, Any]:
    role = source_types.ai_role(code)
    field = FIELD_NAMES.get(source, source)
    marker: dict[str, Any] = {
        "source": source,
        "value": code,
        "meaning": "IPTC digital source type declared in XMP metadata",
        "wording": source_types.wording(code),
        "declares_ai": role is not AiRole.NONE,
        "ai_role": role.value,
        "tool": None,
        "matched": None,
    }
    if role is not AiRole.NONE:
        marker["reason"] = f"Its {field} declares it {source_types.wording(code)}."
    return marker


class GeneratorMetadataAnalyzer:
    name = "generator"

    def analyze(self, ctx: AnalysisContext) -> Evidence:
        markers: list[dict[str, Any]] = []
        if ctx.media.kind is MediaKind.IMAGE:
            markers += self._image_markers(ctx)
        markers += self._byte_markers(ctx)
        # de-duplicate on (source, value)
        seen: set[tuple[str, str]] = set()
        unique = []
        for m in markers:
            key = (m["source"], m["value"])
            if key not in seen:
                seen.add(key)
                unique.append(m)
        ai = [m for m in unique if m["declares_ai"]]
        role = AiRole.NONE
        if any(m["ai_role"] == AiRole.GENERATED.value for m in ai):
            role = AiRole.GENERATED
        elif ai:
            role = AiRole.CONTAINS
        tools = sorted({m["tool"] for m in ai if m.get("tool")})
        reasons = [m["reason"] for m in ai]
        data = {
            "markers": unique,
            "declares_ai": bool(ai),
            "ai_role": role.value,
            "ai_reasons": reasons,
            "tools": tools,
        }
        if not unique:
            return Evidence(
                self.name,
                EvidenceStatus.NOT_FOUND,
                "No generator metadata was found.",
                data,
                LIMITS,
            )
        if ai:
            summary = " ".join(reasons)
        else:
            named = "; ".join(
                f"{FIELD_NAMES.get(m['source'], m['source'])} "
                + (f"“{m['value']}”" if "wording" not in m else m["wording"])
                for m in unique[:4]
            )
            summary = (
                "The file's metadata names the software or source that produced it, and "
                f"none of it declares generative AI ({named})."
            )
        return Evidence(self.name, EvidenceStatus.FOUND, summary, data, LIMITS)

    def _image_markers(self, ctx: AnalysisContext) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        try:
            with Image.open(ctx.path) as im:
                info = dict(im.info)
                if im.format == "PNG" and not ({"exif", "Raw profile type exif"} & info.keys()):
                    # Pillow would decode every pixel looking for an eXIf chunk after the
                    # image data: seconds and hundreds of MB for a small file of a huge
                    # canvas, for metadata (text chunks after the data are not read either)
                    exif = Image.Exif()
                else:
                    exif = im.getexif()
                iptc_credit = _iptc_credit(im)
        except Exception:
            return out
        for key, (meaning, check) in PNG_CHUNKS.items():
            value = info.get(key)
            if not isinstance(value, str | bytes):
                continue
            text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
            if not check(text):
                continue
            out.append(
                {
                    "source": f"png:{key}",
                    "value": _excerpt(text),
                    "meaning": meaning,
                    "declares_ai": True,
                    "ai_role": AiRole.GENERATED.value,
                    "tool": _CHUNK_TOOL[key],
                    "matched": key,
                    "reason": (
                        f"A PNG text chunk “{key}” holds {meaning}, which that tool writes "
                        "into the images it generates."
                    ),
                }
            )
        for key in ("Software", "Source"):
            value = info.get(key)
            if isinstance(value, str) and value.strip():
                out.append(_name_marker(f"png:{key}", value))
        software = exif.get(ExifTags.Base.Software)
        if isinstance(software, str | bytes) and software:
            text = software.decode("utf-8", "replace") if isinstance(software, bytes) else software
            out.append(_name_marker("exif:Software", text.strip("\x00 ")))
        # ComfyUI's WebP/animated saves put "workflow:{...}" / "prompt:{...}" in Make/Model
        for tag, source in ((ExifTags.Base.Make, "exif:Make"), (ExifTags.Base.Model, "exif:Model")):
            value = exif.get(tag)
            if isinstance(value, str):
                prefix, _, rest = value.partition(":")
                if (prefix == "workflow" and _is_comfy_workflow(rest)) or (
                    prefix == "prompt" and _is_comfy_prompt(rest)
                ):
                    out.append(
                        {
                            "source": source,
                            "value": _excerpt(value),
                            "meaning": f"ComfyUI {prefix}",
                            "declares_ai": True,
                            "ai_role": AiRole.GENERATED.value,
                            "tool": "ComfyUI",
                            "matched": prefix,
                            "reason": (
                                f"The {FIELD_NAMES[source]} holds a ComfyUI {prefix}, which "
                                "ComfyUI writes into the images it generates."
                            ),
                        }
                    )
        try:
            sub = exif.get_ifd(ExifTags.IFD.Exif)
            comment = decode_user_comment(sub.get(ExifTags.Base.UserComment))
        except Exception:
            comment = None
        if comment:
            text = comment.strip("\x00 ")
            if _is_a1111(text):
                out.append(
                    {
                        "source": "exif:UserComment",
                        "value": _excerpt(text),
                        "meaning": PNG_CHUNKS["parameters"][0],
                        "declares_ai": True,
                        "ai_role": AiRole.GENERATED.value,
                        "tool": "Stable Diffusion web UI (AUTOMATIC1111)",
                        "matched": "Steps/Sampler",
                        "reason": (
                            "The EXIF UserComment field holds Stable Diffusion web UI "
                            "(AUTOMATIC1111/Forge) generation settings (prompt, steps, "
                            "sampler), which that tool writes into the images it generates."
                        ),
                    }
                )
        if iptc_credit:
            out.append(_name_marker("iptc:Credit", iptc_credit))
        return out

    def _byte_markers(self, ctx: AnalysisContext) -> list[dict[str, Any]]:
        """XMP markers, scanned in a bounded window at each end."""
        out: list[dict[str, Any]] = []
        with ctx.path.open("rb") as f:
            head = f.read(HEAD_BYTES)
            tail = b""
            if ctx.media.size > HEAD_BYTES:
                f.seek(max(HEAD_BYTES, ctx.media.size - TAIL_BYTES))
                tail = f.read(TAIL_BYTES)
        blob = head + tail
        for m in _dst_matches(blob):
            # C2PA manifests carry the same URI; provenance reports those with validation.
            if _inside_c2pa(blob, m.start()):
                continue
            code = source_types.parse(m.group(0).decode("ascii", "replace"))
            if code is None:
                continue
            out.append(_source_type_marker(code, "xmp:DigitalSourceType"))
        for rx, source in ((_XMP_TOOL_RE, "xmp:CreatorTool"), (_XMP_CREDIT_RE, "xmp:Credit")):
            # (not skipped near a manifest store: a declaration next to credentials is
            # still the file's declaration)
            for m in rx.finditer(blob):
                value = m.group(1).decode("utf-8", "replace").strip()
                if value:
                    out.append(_name_marker(source, value))
        return out


_DST_NEEDLE = b"cv.iptc.org/newscodes/digitalsourcetype/"
_DST_LEAD = len(b"https://www.")  # the most the pattern can start before the needle


def _dst_matches(blob: bytes) -> Iterator[re.Match[bytes]]:
    """What ``_DST_RE.finditer(blob)`` yields, found fast: a case-insensitive regex walks
    every byte (about 180 ms for a 12 MP JPEG's window), so the needle is found in the
    ASCII-lowered copy (as IGNORECASE folds bytes: ASCII only) and the regex is tried,
    anchored, only at the few places a match holding it can start. Same matches, same
    order, never overlapping."""
    low = blob.lower()
    end = 0
    at = low.find(_DST_NEEDLE)
    while at != -1:
        for start in range(max(end, at - _DST_LEAD), at + 1):  # leftmost first
            m = _DST_RE.match(blob, start)
            if m is not None:
                yield m
                end = m.end()
                break
        at = low.find(_DST_NEEDLE, at + 1)


def _iptc_credit(im: Image.Image) -> str | None:
    """The IPTC-IIM Credit (2:110) of a JPEG, where Google writes "Made with Google AI"."""
    from PIL import IptcImagePlugin, JpegImagePlugin

    if not isinstance(im, JpegImagePlugin.JpegImageFile):
        return None

    try:
        iptc = IptcImagePlugin.getiptcinfo(im)
    except Exception:
        return None
    raw = (iptc or {}).get((2, 110))
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "replace")
    return None


def _inside_c2pa(blob: bytes, pos: int) -> bool:
    # A JUMBF manifest store carries the label "c2pa" within a few KB before assertions.
    window = blob[max(0, pos - 65536) : pos]
    return b"c2pa.actions" in window or b"jumb" in window[-16384:]
