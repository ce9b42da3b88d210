"""Generator metadata: markers that generation tools leave in files.

These are declarations, not proof: anyone can add or strip them. A marker raises a
question; its absence says nothing.
"""

from __future__ import annotations

import re
from typing import Any

from PIL import ExifTags, Image

from mediaproof.analysis.evidence import AnalysisContext, Evidence, EvidenceStatus
from mediaproof.media.sniff import MediaKind

LIMITS = (
    "Metadata is easy to add, edit or remove. A generator marker is the file's own "
    "declaration; no marker does not mean the file was not generated."
)

AI_SOURCE_TYPES = (
    "trainedAlgorithmicMedia",
    "compositeWithTrainedAlgorithmicMedia",
    "algorithmicMedia",
    "compositeSynthetic",
)
# PNG text chunk keys written by popular generation front ends.
PNG_KEYS = {
    "parameters": "Stable Diffusion web UI (AUTOMATIC1111/Forge) generation parameters",
    "prompt": "ComfyUI prompt graph",
    "workflow": "ComfyUI workflow",
    "Dream": "InvokeAI generation record",
    "sd-metadata": "InvokeAI generation metadata",
    "invokeai_metadata": "InvokeAI generation metadata",
    "generation_data": "generation parameters",
    "Comment": "may hold NovelAI generation parameters",
}
KNOWN_TOOLS = (
    "Stable Diffusion",
    "StableDiffusion",
    "DALL-E",
    "DALL·E",
    "DALLE",
    "Midjourney",
    "Adobe Firefly",
    "Firefly",
    "Imagen",
    "Made with Google AI",
    "Gemini",
    "NovelAI",
    "ComfyUI",
    "AUTOMATIC1111",
    "InvokeAI",
    "FLUX",
    "Leonardo.Ai",
    "Ideogram",
    "Runway",
    "Sora",
    "Kling",
    "ElevenLabs",
    "Suno",
    "Udio",
    "Bing Image Creator",
    "Grok",
    "Titan Image",
)
_TOOL_RE = re.compile("|".join(re.escape(t) for t in KNOWN_TOOLS).encode(), re.IGNORECASE)
_DST_RE = re.compile(rb"digitalsourcetype/([A-Za-z]+)", re.IGNORECASE)
_XMP_TOOL_RE = re.compile(rb"CreatorTool[=>\"']+\s*([^<\"']{1,120})")
HEAD_BYTES = 2 * 1024 * 1024
TAIL_BYTES = 256 * 1024


def _excerpt(value: object, n: int = 160) -> str:
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


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
        declares_ai = any(m.get("declares_ai") for m in unique)
        tools = sorted({m["tool"] for m in unique if m.get("tool")})
        data = {"markers": unique, "declares_ai": declares_ai, "tools": tools}
        if not unique:
            return Evidence(
                self.name,
                EvidenceStatus.NOT_FOUND,
                "No generator metadata was found.",
                data,
                LIMITS,
            )
        if declares_ai:
            what = f" ({', '.join(tools)})" if tools else ""
            summary = f"The file's metadata declares it was made with generative AI{what}."
        else:
            summary = "The file's metadata names the software that produced it."
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
        except Exception:
            return out
        for key, meaning in PNG_KEYS.items():
            if key in info and isinstance(info[key], str | bytes):
                value = info[key]
                text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
                if key == "Comment" and "prompt" not in text.lower():
                    continue
                out.append(
                    {
                        "source": f"png:{key}",
                        "value": _excerpt(text),
                        "meaning": meaning,
                        "declares_ai": True,
                        "tool": _tool_in(text.encode()),
                    }
                )
        software = exif.get(ExifTags.Base.Software)
        if software:
            tool = _tool_in(str(software).encode())
            out.append(
                {
                    "source": "exif:Software",
                    "value": _excerpt(software),
                    "meaning": "the software that wrote the file",
                    "declares_ai": tool is not None,
                    "tool": tool,
                }
            )
        try:
            sub = exif.get_ifd(ExifTags.IFD.Exif)
            comment = sub.get(ExifTags.Base.UserComment)
        except Exception:
            comment = None
        if comment:
            text = (
                comment.decode("utf-8", "replace") if isinstance(comment, bytes) else str(comment)
            )
            if "steps:" in text.lower() and "sampler" in text.lower():
                out.append(
                    {
                        "source": "exif:UserComment",
                        "value": _excerpt(text.strip("\x00 ")),
                        "meaning": "Stable Diffusion generation parameters",
                        "declares_ai": True,
                        "tool": "Stable Diffusion",
                    }
                )
        return out

    def _byte_markers(self, ctx: AnalysisContext) -> list[dict[str, Any]]:
        """XMP and free-text markers, scanned in a bounded window at each end."""
        out: list[dict[str, Any]] = []
        with ctx.path.open("rb") as f:
            head = f.read(HEAD_BYTES)
            tail = b""
            if ctx.media.size > HEAD_BYTES:
                f.seek(max(HEAD_BYTES, ctx.media.size - TAIL_BYTES))
                tail = f.read(TAIL_BYTES)
        blob = head + tail
        for m in _DST_RE.finditer(blob):
            value = m.group(1).decode("ascii", "replace")
            # C2PA manifests carry the same URI; provenance reports those with validation.
            if _inside_c2pa(blob, m.start()):
                continue
            out.append(
                {
                    "source": "xmp:DigitalSourceType",
                    "value": value,
                    "meaning": "IPTC digital source type declared in XMP metadata",
                    "declares_ai": value in AI_SOURCE_TYPES,
                    "tool": None,
                }
            )
        for m in _XMP_TOOL_RE.finditer(blob):
            value = m.group(1).decode("utf-8", "replace").strip()
            tool = _tool_in(value.encode())
            out.append(
                {
                    "source": "xmp:CreatorTool",
                    "value": _excerpt(value),
                    "meaning": "the tool named in XMP metadata",
                    "declares_ai": tool is not None,
                    "tool": tool,
                }
            )
        if b"Made with Google AI" in blob and not _inside_c2pa(
            blob, blob.find(b"Made with Google AI")
        ):
            out.append(
                {
                    "source": "iptc:Credit",
                    "value": "Made with Google AI",
                    "meaning": "credit line Google adds to generated images",
                    "declares_ai": True,
                    "tool": "Google AI",
                }
            )
        return out


def _tool_in(data: bytes) -> str | None:
    m = _TOOL_RE.search(data)
    return m.group(0).decode("utf-8", "replace") if m else None


def _inside_c2pa(blob: bytes, pos: int) -> bool:
    # A JUMBF manifest store carries the label "c2pa" within a few KB before assertions.
    window = blob[max(0, pos - 65536) : pos]
    return b"c2pa.actions" in window or b"jumb" in window[-16384:]
