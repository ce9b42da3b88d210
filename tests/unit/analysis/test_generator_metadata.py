from __future__ import annotations

from pathlib import Path

from PIL import Image, PngImagePlugin

from mediaproof.analysis.analyzers.generator import GeneratorMetadataAnalyzer
from mediaproof.analysis.evidence import AnalysisContext, EvidenceStatus
from mediaproof.config import Limits, Settings
from mediaproof.media.ingest import ingest_file


def _analyze(path: Path):  # type: ignore[no-untyped-def]
    media = ingest_file(path, Limits())
    ctx = AnalysisContext(path=path, media=media, settings=Settings(home=path.parent))
    return GeneratorMetadataAnalyzer().analyze(ctx)


def test_a1111_parameters_chunk(tmp_path: Path) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text(
        "parameters", "a candidate at a podium\nSteps: 20, Sampler: Euler a, Model: sd_xl"
    )
    p = tmp_path / "gen.png"
    Image.new("RGB", (32, 32)).save(p, pnginfo=info)
    ev = _analyze(p)
    assert ev.status is EvidenceStatus.FOUND and ev.data["declares_ai"]
    assert ev.data["markers"][0]["source"] == "png:parameters"


def test_comfyui_prompt_and_workflow(tmp_path: Path) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("prompt", '{"3": {"class_type": "KSampler"}}')
    info.add_text("workflow", '{"last_node_id": 3, "nodes": [{"id": 3, "type": "KSampler"}]}')
    p = tmp_path / "comfy.png"
    Image.new("RGB", (32, 32)).save(p, pnginfo=info)
    sources = {m["source"] for m in _analyze(p).data["markers"]}
    assert {"png:prompt", "png:workflow"} <= sources


def test_exif_software_names_a_generator(tmp_path: Path) -> None:
    p = tmp_path / "exif.jpg"
    exif = Image.Exif()
    exif[0x0131] = "Adobe Firefly"
    Image.new("RGB", (32, 32)).save(p, exif=exif)
    ev = _analyze(p)
    assert ev.data["declares_ai"] and ev.data["tools"] == ["Adobe Firefly"]


def test_exif_software_of_a_camera_app_is_not_ai(tmp_path: Path) -> None:
    p = tmp_path / "cam.jpg"
    exif = Image.Exif()
    exif[0x0131] = "GIMP 2.10"
    Image.new("RGB", (32, 32)).save(p, exif=exif)
    ev = _analyze(p)
    assert ev.status is EvidenceStatus.FOUND and not ev.data["declares_ai"]


def test_xmp_digital_source_type(tmp_path: Path) -> None:
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
        b'Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"/>'
        b"</rdf:RDF></x:xmpmeta>"
    )
    p = tmp_path / "xmp.jpg"
    Image.new("RGB", (32, 32)).save(p, xmp=xmp)
    ev = _analyze(p)
    assert ev.data["declares_ai"]
    assert any(m["value"] == "trainedAlgorithmicMedia" for m in ev.data["markers"])


def test_plain_photo_has_no_markers(tmp_path: Path) -> None:
    p = tmp_path / "plain.jpg"
    Image.new("RGB", (32, 32), (9, 9, 9)).save(p)
    ev = _analyze(p)
    assert ev.status is EvidenceStatus.NOT_FOUND and ev.data["markers"] == []
