"""A labelled corpus of files that do and do not declare generative AI.

Every file is made here, the way the real tool writes it (no third-party files; the
watermark cases start from scikit-image's bundled sample photos, on which the dwtDct
mark survives 8-bit rounding). Run it to look at the files:

    PYTHONPATH=src python -m tests.honesty.build_corpus /tmp/corpus

``build(dest, material)`` returns one :class:`Case` per file: what the verify answer must
say (``expect``) and words the answer's headline or reasons must contain.
"""

from __future__ import annotations

import io
import json
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import c2pa
import numpy as np
from PIL import Image, PngImagePlugin

from mediaproof.analysis.generator_table import EDITORS
from mediaproof.provenance.c2pa_io import IPTC
from mediaproof.provenance.keys import SigningMaterial, init_keys

GENERATED = "generated"  # label ai_generated_declared
CONTAINS = "contains"  # label contains_ai_content_declared
NONE = "none"  # no AI label, no AI words
REMOTE = "remote"  # remote credentials, not fetched

A1111 = (
    "a candidate shaking hands with a crowd, photo, 35mm\n"
    "Negative prompt: blurry, lowres\n"
    "Steps: 30, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234567890, "
    "Size: 832x1216, Model hash: 31e35c80fc, Model: sd_xl_base_1.0, Version: v1.9.4"
)
COMFY_PROMPT = {
    "3": {"class_type": "KSampler", "inputs": {"seed": 5, "steps": 20, "cfg": 8}},
    "4": {"class_type": "CheckpointLoaderSimple", "inputs": {"ckpt_name": "sdxl.safetensors"}},
}
COMFY_WORKFLOW = {
    "last_node_id": 9,
    "last_link_id": 9,
    "nodes": [{"id": 3, "type": "KSampler"}, {"id": 4, "type": "CheckpointLoaderSimple"}],
    "links": [],
    "version": 0.4,
}
INVOKE_META = {
    "generation_mode": "txt2img",
    "positive_prompt": "a ballot box on fire",
    "model": {"name": "stable-diffusion-xl-base-1-0", "base": "sdxl"},
    "steps": 30,
    "app_version": "4.2.4",
}
NOVELAI_COMMENT = {
    "prompt": "a politician at a podium",
    "steps": 28,
    "height": 1216,
    "width": 832,
    "scale": 5.0,
    "uc": "lowres, bad anatomy",
    "seed": 42,
    "sampler": "k_euler_ancestral",
    "noise_schedule": "native",
    "n_samples": 1,
}


@dataclass
class Case:
    name: str
    path: Path
    expect: str  # GENERATED | CONTAINS | NONE | REMOTE
    words: tuple[str, ...] = ()  # must appear in the headline or the reasons
    headline: str | None = None  # the exact headline, where it is known
    how: str = ""  # how the file declares (or does not)
    extra: dict[str, Any] = field(default_factory=dict)


# --- writers ----------------------------------------------------------------------------


def _pixels(seed: int, size: tuple[int, int] = (96, 64)) -> Image.Image:
    rng = np.random.default_rng(seed)
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 2 % 256, y * 3 % 256, (x + y) % 256], axis=-1).astype(np.float64)
    base += rng.normal(0, 12, base.shape)
    return Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))


def png_text(path: Path, seed: int, chunks: dict[str, str], itxt: bool = False) -> Path:
    info = PngImagePlugin.PngInfo()
    for k, v in chunks.items():
        if itxt:
            info.add_itxt(k, v)
        else:
            info.add_text(k, v)
    _pixels(seed).save(path, pnginfo=info)
    return path


def with_exif(path: Path, seed: int, software: str | None = None, **ifd: Any) -> Path:
    exif = Image.Exif()
    if software is not None:
        exif[0x0131] = software
    for tag, value in ifd.get("base", {}).items():
        exif[tag] = value
    sub = exif.get_ifd(0x8769)
    if "user_comment" in ifd:
        sub[0x9286] = ifd["user_comment"]
    fmt = {"jpg": "JPEG", "webp": "WEBP", "png": "PNG"}[path.suffix[1:]]
    _pixels(seed).save(path, fmt, exif=exif.tobytes())
    return path


def xmp_packet(
    *, creator_tool: str | None = None, dst_uri: str | None = None, credit: str | None = None
) -> bytes:
    attrs = []
    if creator_tool:
        attrs.append(f'xmp:CreatorTool="{creator_tool}"')
    if dst_uri:
        attrs.append(f'Iptc4xmpExt:DigitalSourceType="{dst_uri}"')
    if credit:
        attrs.append(f'photoshop:Credit="{credit}"')
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/" '
        'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
        'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        + " ".join(attrs)
        + '/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def with_xmp(path: Path, seed: int, packet: bytes) -> Path:
    if path.suffix == ".png":
        info = PngImagePlugin.PngInfo()
        info.add_itxt("XML:com.adobe.xmp", packet.decode())
        _pixels(seed).save(path, pnginfo=info)
    else:
        _pixels(seed).save(path, "JPEG", xmp=packet)
    return path


def with_iptc_credit(path: Path, seed: int, credit: str) -> Path:
    """A JPEG with an IPTC-IIM Credit (2:110) in a Photoshop APP13 segment, as Google's
    pipeline writes "Made with Google AI"."""
    value = credit.encode()
    iim = b"\x1c\x02\x00\x00\x02\x00\x04" + b"\x1c\x02\x6e" + struct.pack(">H", len(value)) + value
    if len(iim) % 2:
        iim += b"\x00"
    res = b"8BIM" + b"\x04\x04" + b"\x00\x00" + struct.pack(">I", len(iim)) + iim
    payload = b"Photoshop 3.0\x00" + res
    seg = b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload
    buf = io.BytesIO()
    _pixels(seed).save(buf, "JPEG")
    data = buf.getvalue()
    path.write_bytes(data[:2] + seg + data[2:])
    return path


def user_comment(text: str, charset: str) -> bytes:
    if charset == "unicode-be":  # piexif.helper.UserComment.dump(..., "unicode"): A1111
        return b"UNICODE\x00" + text.encode("utf-16-be")
    if charset == "unicode-le":  # little-endian writers (exiftool on Intel-order EXIF)
        return b"UNICODE\x00" + text.encode("utf-16-le")
    return b"ASCII\x00\x00\x00" + text.encode("ascii")


# --- C2PA -------------------------------------------------------------------------------


def _actions(*acts: dict[str, Any]) -> dict[str, Any]:
    return {"label": "c2pa.actions.v2", "data": {"actions": list(acts)}}


def _act(
    action: str, dst: str | None = None, agent: str = "corpus", **params: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {"action": action, "softwareAgent": {"name": agent}}
    if dst:
        out["digitalSourceType"] = IPTC + dst
    if params:
        out["parameters"] = params
    return out


def _manifest(
    title: str, actions: list[dict[str, Any]], assertions: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "claim_generator_info": [{"name": "mediaproof-corpus", "version": "1"}],
        "title": title,
        "format": "image/jpeg",
        "assertions": [_actions(*actions), *assertions],
    }


def _build_and_sign(
    manifest: dict[str, Any],
    material: SigningMaterial,
    src: Path,
    dest: Path,
    prepare: Callable[[c2pa.Builder], None],
) -> Path:
    """Sign ``src`` into ``dest`` under ``manifest``; ``prepare`` adds to the builder."""
    signer = c2pa.Signer.from_info(
        c2pa.C2paSignerInfo(material.alg.encode(), material.chain_pem, material.key_pem, None)
    )
    builder = c2pa.Builder(manifest)
    try:
        prepare(builder)
        buf = io.BytesIO()
        with src.open("rb") as fin:
            builder.sign(signer, "image/jpeg", fin, buf)
        dest.write_bytes(buf.getvalue())
    finally:
        builder.close()
        signer.close()
    return dest


def c2pa_sign(
    src: Path,
    dest: Path,
    material: SigningMaterial,
    title: str,
    actions: list[dict[str, Any]],
    ingredients: list[tuple[Path, str, str]] = (),  # type: ignore[assignment]
    assertions: list[dict[str, Any]] = (),  # type: ignore[assignment]
) -> Path:
    """Sign ``src`` into ``dest`` with these actions; each ingredient is (file,
    relationship, label) and brings its own credentials into the store."""

    def add_ingredients(builder: c2pa.Builder) -> None:
        for ing_path, rel, label in ingredients:
            with ing_path.open("rb") as f:
                builder.add_ingredient(
                    {"title": ing_path.name, "relationship": rel, "label": label}, "image/jpeg", f
                )

    return _build_and_sign(
        _manifest(title, actions, list(assertions)), material, src, dest, add_ingredients
    )


def c2pa_remote(src: Path, dest: Path, material: SigningMaterial, url: str) -> Path:
    """Credentials stored remotely: the file keeps only XMP dcterms:provenance = url."""

    def remote(builder: c2pa.Builder) -> None:
        builder.set_no_embed()
        builder.set_remote_url(url)

    manifest = _manifest(dest.name, [_act("c2pa.created", "digitalCapture")], [])
    return _build_and_sign(manifest, material, src, dest, remote)


# --- the chains of credentials the corpus and the browser tests share --------------------


def generative_fill() -> dict[str, Any]:
    """An edit with a generative model (Photoshop's "Generative Fill")."""
    return _act("c2pa.edited", "trainedAlgorithmicMedia", "Generative Fill")


def c2pa_capture(src: Path, dest: Path, material: SigningMaterial, title: str) -> Path:
    """A camera capture: created, digitalCapture, by the camera's firmware."""
    return c2pa_sign(
        src, dest, material, title, [_act("c2pa.created", "digitalCapture", "Camera firmware 1.2")]
    )


def c2pa_derived(
    parent: Path,
    dest: Path,
    material: SigningMaterial,
    title: str,
    *acts: dict[str, Any],
    components: list[tuple[Path, str]] = (),  # type: ignore[assignment]
) -> Path:
    """A file opened from ``parent`` (its parentOf ingredient, labelled "parent"), then
    ``acts``; each component is (file, label), a componentOf ingredient."""
    return c2pa_sign(
        parent,
        dest,
        material,
        title,
        [_act("c2pa.opened", ingredientIds=["parent"]), *acts],
        [(parent, "parentOf", "parent"), *((f, "componentOf", lab) for f, lab in components)],
    )


def _jpeg(path: Path, seed: int) -> Path:
    _pixels(seed, (160, 120)).save(path, "JPEG", quality=92)
    return path


# --- the corpus -------------------------------------------------------------------------


def build(dest: Path, material: SigningMaterial, signer: str) -> list[Case]:
    """Write every file into ``dest``; ``signer`` is the common name of ``material``."""
    dest.mkdir(parents=True, exist_ok=True)
    cases: list[Case] = []
    n = iter(range(10_000))

    def add(name: str, make: Callable[[Path], Path], expect: str, *words: str, **kw: Any) -> None:
        path = make(dest / name)
        cases.append(Case(name, path, expect, tuple(words), **kw))

    # PNG text chunks of the common front ends
    add(
        "a1111.png",
        lambda p: png_text(p, next(n), {"parameters": A1111}),
        GENERATED,
        "PNG text chunk “parameters”",
        "AUTOMATIC1111",
    )
    add(
        "a1111-itxt.png",
        lambda p: png_text(p, next(n), {"parameters": A1111}, itxt=True),
        GENERATED,
        "AUTOMATIC1111",
    )
    add(
        "comfyui.png",
        lambda p: png_text(
            p, next(n), {"prompt": json.dumps(COMFY_PROMPT), "workflow": json.dumps(COMFY_WORKFLOW)}
        ),
        GENERATED,
        "ComfyUI",
    )
    add(
        "comfyui-workflow-only.png",
        lambda p: png_text(p, next(n), {"workflow": json.dumps(COMFY_WORKFLOW)}),
        GENERATED,
        "ComfyUI workflow",
    )
    add(
        "invokeai.png",
        lambda p: png_text(p, next(n), {"invokeai_metadata": json.dumps(INVOKE_META)}),
        GENERATED,
        "InvokeAI",
    )
    add(
        "invokeai-legacy.png",
        lambda p: png_text(
            p,
            next(n),
            {
                "sd-metadata": json.dumps(
                    {
                        "model": "stable diffusion",
                        "app_id": "invoke-ai/InvokeAI",
                        "image": {"steps": 50},
                    }
                )
            },
        ),
        GENERATED,
        "InvokeAI",
    )
    add(
        "invokeai-dream.png",
        lambda p: png_text(
            p, next(n), {"Dream": '"a podium" -s 50 -S 3357757885 -W 512 -H 512 -C 7.5 -A k_lms'}
        ),
        GENERATED,
        "InvokeAI",
    )
    add(
        "novelai.png",
        lambda p: png_text(
            p,
            next(n),
            {
                "Software": "NovelAI",
                "Source": "NovelAI Diffusion V3 7BCCAA2C",
                "Comment": json.dumps(NOVELAI_COMMENT),
            },
        ),
        GENERATED,
        "NovelAI",
    )
    # EXIF UserComment, as AUTOMATIC1111 writes JPEG and WebP
    add(
        "a1111-usercomment-be.jpg",
        lambda p: with_exif(p, next(n), user_comment=user_comment(A1111, "unicode-be")),
        GENERATED,
        "EXIF UserComment",
        "AUTOMATIC1111",
    )
    add(
        "a1111-usercomment-le.jpg",
        lambda p: with_exif(p, next(n), user_comment=user_comment(A1111, "unicode-le")),
        GENERATED,
        "EXIF UserComment",
    )
    add(
        "a1111-usercomment-ascii.jpg",
        lambda p: with_exif(p, next(n), user_comment=user_comment(A1111, "ascii")),
        GENERATED,
        "EXIF UserComment",
    )
    add(
        "a1111-usercomment.webp",
        lambda p: with_exif(p, next(n), user_comment=user_comment(A1111, "unicode-be")),
        GENERATED,
        "EXIF UserComment",
    )
    add(
        "comfyui-exif.webp",
        lambda p: with_exif(
            p,
            next(n),
            base={
                0x010F: "workflow:" + json.dumps(COMFY_WORKFLOW),
                0x0110: "prompt:" + json.dumps(COMFY_PROMPT),
            },
        ),
        GENERATED,
        "ComfyUI",
    )
    # product names in EXIF Software / XMP CreatorTool / credit lines
    for i, (value, tool) in enumerate(
        (
            ("Adobe Firefly", "Adobe Firefly"),
            ("Midjourney v6.1", "Midjourney"),
            ("DALL·E 3", "DALL·E"),
            ("FLUX.1 [dev]", "FLUX"),
            ("Google Imagen 3", "Imagen"),
            ("Stable Diffusion XL 1.0", "Stable Diffusion"),
        )
    ):
        add(
            f"exif-software-{i}.jpg",
            lambda p, v=value: with_exif(p, next(n), software=v),
            GENERATED,
            "EXIF Software field",
            tool,
        )
    add(
        "xmp-creatortool-firefly.jpg",
        lambda p: with_xmp(p, next(n), xmp_packet(creator_tool="Adobe Firefly Image 3")),
        GENERATED,
        "XMP CreatorTool field",
        "Adobe Firefly",
    )
    add(
        "xmp-creatortool-ideogram.png",
        lambda p: with_xmp(p, next(n), xmp_packet(creator_tool="Ideogram 2.0")),
        GENERATED,
        "XMP CreatorTool field",
        "Ideogram",
    )
    add(
        "iptc-credit-google.jpg",
        lambda p: with_iptc_credit(p, next(n), "Made with Google AI"),
        GENERATED,
        "IPTC credit line",
        "Made with Google AI",
    )
    add(
        "xmp-credit-google.jpg",
        lambda p: with_xmp(p, next(n), xmp_packet(credit="Made with Google AI")),
        GENERATED,
        "XMP credit line",
    )
    # IPTC digital source types in XMP, old http URIs and https ones
    add(
        "xmp-dst-trained.jpg",
        lambda p: with_xmp(p, next(n), xmp_packet(dst_uri=IPTC + "trainedAlgorithmicMedia")),
        GENERATED,
        "made with generative AI",
    )
    add(
        "xmp-dst-trained-https.png",
        lambda p: with_xmp(
            p,
            next(n),
            xmp_packet(
                dst_uri="https://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia/"
            ),
        ),
        GENERATED,
        "made with generative AI",
    )
    add(
        "xmp-dst-composite-trained.jpg",
        lambda p: with_xmp(
            p, next(n), xmp_packet(dst_uri=IPTC + "compositeWithTrainedAlgorithmicMedia")
        ),
        CONTAINS,
        "contains AI-generated elements",
    )

    # C2PA, signed by the instance (trusted): actions and ingredients at depth 1, 2, 3
    work = dest / "_work"
    work.mkdir(exist_ok=True)
    cap = c2pa_capture(
        _jpeg(work / "capture-src.jpg", 1), work / "capture.jpg", material, "capture.jpg"
    )
    genfill = c2pa_derived(cap, work / "genfill.jpg", material, "genfill.jpg", generative_fill())
    cases.append(
        Case(
            "c2pa-capture-then-genfill.jpg",
            genfill,
            CONTAINS,
            ("second recorded step", "an edit", "Generative Fill"),
            headline=f"Contains AI-generated content, declared by {signer}",
        )
    )
    placed_src = c2pa_sign(
        _jpeg(work / "ai-element-src.jpg", 2),
        work / "ai-element.jpg",
        material,
        "ai-element.jpg",
        [_act("c2pa.created", "trainedAlgorithmicMedia", "Image Model X")],
    )
    placed = c2pa_derived(
        cap,
        dest / "c2pa-placed-ai-element.jpg",
        material,
        "composite.jpg",
        _act(
            "c2pa.placed",
            "compositeWithTrainedAlgorithmicMedia",
            "Compositor",
            ingredientIds=["element"],
        ),
        components=[(placed_src, "element")],
    )
    cases.append(
        Case(
            placed.name,
            placed,
            CONTAINS,
            ("an element placed into it",),
            headline=f"Contains AI-generated content, declared by {signer}",
        )
    )
    created = c2pa_sign(
        _jpeg(work / "gen-src.jpg", 3),
        dest / "c2pa-created-trained.jpg",
        material,
        "gen.jpg",
        [_act("c2pa.created", "trainedAlgorithmicMedia", "Image Model X")],
    )
    cases.append(
        Case(
            created.name,
            created,
            GENERATED,
            ("its creation", "Image Model X"),
            headline=f"AI-generated, declared by {signer}",
        )
    )
    edited_created = c2pa_sign(
        _jpeg(work / "cwt-src.jpg", 4),
        dest / "c2pa-created-composite-trained.jpg",
        material,
        "cwt.jpg",
        [_act("c2pa.created", "compositeWithTrainedAlgorithmicMedia", "Editor Y")],
    )
    cases.append(
        Case(
            edited_created.name,
            edited_created,
            CONTAINS,
            ("contains AI-generated elements",),
            headline=f"Contains AI-generated content, declared by {signer}",
        )
    )
    # the generative edit one, two and three manifests down the parentOf chain
    prev = genfill
    for depth in (1, 2, 3):
        nxt = c2pa_derived(
            prev,
            dest / f"c2pa-genfill-depth{depth}.jpg",
            material,
            f"depth{depth}.jpg",
            _act("c2pa.cropped", agent="Cropper"),
        )
        cases.append(
            Case(
                nxt.name,
                nxt,
                CONTAINS,
                ("Generative Fill", "its ingredient"),
                headline=f"Contains AI-generated content, declared by {signer}",
            )
        )
        prev = nxt
    # an AI-generated original, later edited: still AI-generated as a whole
    later = c2pa_derived(
        created,
        dest / "c2pa-generated-then-cropped.jpg",
        material,
        "cropped.jpg",
        _act("c2pa.cropped"),
    )
    cases.append(
        Case(
            later.name,
            later,
            GENERATED,
            ("its ingredient",),
            headline=f"AI-generated, declared by {signer}",
        )
    )
    # an AI component ingredient at depth 2 (inside the parent's credentials)
    comp_parent = c2pa_derived(
        cap,
        work / "comp-parent.jpg",
        material,
        "comp-parent.jpg",
        _act("c2pa.placed", ingredientIds=["element"]),
        components=[(placed_src, "element")],
    )
    comp = c2pa_derived(
        comp_parent,
        dest / "c2pa-ai-component-depth2.jpg",
        material,
        "comp.jpg",
        _act("c2pa.resized"),
    )
    cases.append(
        Case(
            comp.name,
            comp,
            CONTAINS,
            ("Image Model X",),
            headline=f"Contains AI-generated content, declared by {signer}",
        )
    )

    # the IPTC photo-metadata assertion inside the credentials (C2PA's IPTC assertion)
    iptc = c2pa_sign(
        _jpeg(work / "iptc-src.jpg", 5),
        dest / "c2pa-iptc-assertion-composite.jpg",
        material,
        "iptc.jpg",
        [_act("c2pa.created", "digitalCapture")],
        assertions=[
            {
                "label": "stds.iptc.photo-metadata",
                "data": {
                    "@context": {"Iptc4xmpExt": "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"},
                    "Iptc4xmpExt:DigitalSourceType": IPTC + "compositeWithTrainedAlgorithmicMedia",
                },
                "kind": "Json",
            }
        ],
    )
    cases.append(
        Case(
            iptc.name,
            iptc,
            CONTAINS,
            ("by the IPTC metadata", "contains AI-generated elements"),
            headline=f"Contains AI-generated content, declared by {signer}",
        )
    )

    # invisible marks, as Stability's reference code and diffusers embed them
    from skimage import data as skdata

    from mediaproof.watermark.ai_marks import embed_sd_v1, embed_sdxl, embed_sdxl_diffusers

    astro, rocket = skdata.astronaut(), skdata.rocket()
    for name, arr, what in (
        ("sd-v1-mark-reference.png", embed_sd_v1(astro), "Stable Diffusion 1/2 mark"),
        ("sdxl-mark-reference.png", embed_sdxl(astro), "SDXL mark"),
        ("sdxl-mark-diffusers-rgb.png", embed_sdxl_diffusers(astro), "SDXL mark"),
        (
            "sdxl-mark-diffusers-bgr.png",
            embed_sdxl_diffusers(rocket, flip_to_bgr=True),
            "SDXL mark",
        ),
    ):
        path = dest / name
        Image.fromarray(arr).save(path)
        cases.append(Case(name, path, GENERATED, (what,)))

    # --- files that declare no generative AI -------------------------------------------
    for i, e in enumerate(EDITORS):
        add(
            f"editor-exif-{i:02d}.jpg",
            lambda p, v=e.example: with_exif(p, next(n), software=v),
            NONE,
            how=f"EXIF Software of {e.name}",
        )
    for i, value in enumerate(
        (
            "Adobe Photoshop 25.0 (Macintosh)",
            "GIMP 2.10.36",
            "darktable 4.6.0",
            "Capture One 23 Macintosh",
            "Affinity Photo 2.3.0",
        )
    ):
        add(
            f"editor-xmp-{i}.jpg",
            lambda p, v=value: with_xmp(p, next(n), xmp_packet(creator_tool=v)),
            NONE,
        )
    add(
        "editor-png-software.png",
        lambda p: png_text(p, next(n), {"Software": "Pixelmator Pro 3.5"}),
        NONE,
    )
    add(
        "png-unrelated-chunks.png",
        lambda p: png_text(
            p,
            next(n),
            {
                "parameters": "exposure=+0.3; white balance=daylight",
                "prompt": "Press release photo, do not crop",
                "Comment": "Photographed at the county hall",
                "workflow": "scan > crop > levels",
            },
        ),
        NONE,
    )
    for code in (
        "algorithmicMedia",
        "compositeSynthetic",
        "screenCapture",
        "print",
        "negativeFilm",
        "positiveFilm",
        "digitalCapture",
        "computationalCapture",
        "humanEdits",
        "minorHumanEdits",
        "compositeCapture",
        "algorithmicallyEnhanced",
        "dataDrivenMedia",
        "digitalCreation",
        "digitalArt",
        "virtualRecording",
        "softwareImage",
        "composite",
    ):
        add(
            f"xmp-dst-{code}.jpg",
            lambda p, c=code: with_xmp(p, next(n), xmp_packet(dst_uri=IPTC + c)),
            NONE,
        )
    add("plain.jpg", lambda p: _jpeg(p, next(n)), NONE)
    cases.append(
        Case(
            "c2pa-capture.jpg",
            cap,
            NONE,
            ("captured from real life",),
            headline="Signed by a trusted signer and intact",
        )
    )
    for code, words in (
        ("screenCapture", "a screenshot or screen recording"),
        ("algorithmicMedia", "not based on sampled training data (not generative AI)"),
        ("compositeSynthetic", "(no generative AI is declared)"),
        ("print", "scanned from a print"),
    ):
        f = c2pa_sign(
            _jpeg(work / f"{code}-src.jpg", next(n)),
            dest / f"c2pa-{code}.jpg",
            material,
            f"{code}.jpg",
            [_act("c2pa.created", code)],
        )
        cases.append(
            Case(f.name, f, NONE, (words,), headline="Signed by a trusted signer and intact")
        )
    human = c2pa_sign(
        cap,
        work / "human1.jpg",
        material,
        "human1.jpg",
        [
            _act("c2pa.opened", ingredientIds=["parent"]),
            _act("c2pa.color_adjustments", "humanEdits"),
        ],
        [(cap, "parentOf", "parent")],
    )
    human2 = c2pa_sign(
        human,
        dest / "c2pa-human-edits-depth2.jpg",
        material,
        "human2.jpg",
        [_act("c2pa.opened", ingredientIds=["parent"]), _act("c2pa.cropped")],
        [(human, "parentOf", "parent")],
    )
    cases.append(Case(human2.name, human2, NONE))
    # an AI image used only as an input (inputTo) is not content of this file
    inp = c2pa_sign(
        cap,
        dest / "c2pa-ai-input-only.jpg",
        material,
        "input.jpg",
        [_act("c2pa.opened", ingredientIds=["parent"]), _act("c2pa.edited", "humanEdits")],
        [(cap, "parentOf", "parent"), (placed_src, "inputTo", "reference")],
    )
    cases.append(Case(inp.name, inp, NONE))

    # credentials stored remotely
    url = "https://credentials.example.org/manifests/abc123.c2pa"
    remote = c2pa_remote(
        _jpeg(work / "remote-src.jpg", next(n)), dest / "remote-credentials.jpg", material, url
    )
    cases.append(
        Case(
            remote.name,
            remote,
            REMOTE,
            (url,),
            headline=(
                f"This file says its Content Credentials are stored at {url}; they were not fetched"
            ),
        )
    )
    return cases


def main(argv: list[str]) -> int:
    dest = Path(argv[1] if len(argv) > 1 else "corpus-honesty")
    material = init_keys(dest / "_keys", "Corpus Press Office", force=True)
    cases = build(dest, material, "Corpus Press Office content signing")
    for c in cases:
        print(f"{c.expect:9} {c.name}")
    print(
        f"{sum(c.expect in (GENERATED, CONTAINS) for c in cases)} declare AI, "
        f"{sum(c.expect == NONE for c in cases)} do not"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
