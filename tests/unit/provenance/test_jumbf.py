"""The active manifest's label read from the manifest store that signing returns is the
label the SDK reports for the signed file, fresh or with a parent's manifest in the
store; bytes that are not a store give None; sign + register no longer reads the
signed file back through the SDK for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mediaproof.media.samples import sample_photo
from mediaproof.provenance import c2pa_io
from mediaproof.provenance.c2pa_io import build_manifest
from mediaproof.provenance.jumbf import active_manifest_label
from mediaproof.services.instance import Instance


def _manifest(title: str, first: str) -> dict[str, Any]:
    return build_manifest(
        title=title,
        mime="image/jpeg",
        author=None,
        source_type="digitalCapture",
        first_action=first,
        extra_actions=[],
        custom_assertions={},
        software_agent=None,
    )


def test_label_is_the_sdks_label_of_the_signed_file(instance: Instance, tmp_path: Path) -> None:
    engine, material = instance.c2pa(), instance.require_keys()
    sample_photo(tmp_path / "a.jpg", 640, 480, seed=3)
    store = engine.sign(
        tmp_path / "a.jpg",
        tmp_path / "b.jpg",
        "image/jpeg",
        material,
        _manifest("a", "c2pa.created"),
    )
    label = engine.read(tmp_path / "b.jpg", "image/jpeg").manifest_label
    assert label and label.startswith("urn:") and active_manifest_label(store) == label
    # signed again with b.jpg as the parent: the store holds both manifests, the new last
    store2 = engine.sign(
        tmp_path / "b.jpg",
        tmp_path / "c.jpg",
        "image/jpeg",
        material,
        _manifest("c", "c2pa.opened"),
        parent=True,
    )
    label2 = engine.read(tmp_path / "c.jpg", "image/jpeg").manifest_label
    assert label2 != label and active_manifest_label(store2) == label2
    # not a store: cut short, another box, garbage
    for bad in (store2[:40], b"\x00\x00\x00\x10ftypjumb\x00\x00\x00\x00", b"", b"garbage" * 9):
        assert active_manifest_label(bad) is None


def test_sign_and_register_reads_only_the_source_through_the_sdk(
    instance: Instance, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mediaproof.services.publishing import SignRequest, sign_and_register

    read: list[str] = []
    real = c2pa_io.C2paEngine.read

    def spy(self: c2pa_io.C2paEngine, path: Path, *args: Any, **kw: Any) -> Any:
        read.append(path.name)  # the real read runs; the spy only notes which file
        return real(self, path, *args, **kw)

    monkeypatch.setattr(c2pa_io.C2paEngine, "read", spy)
    sample_photo(tmp_path / "in.jpg", 640, 480, seed=4)
    dest = tmp_path / "signed.jpg"
    pub = sign_and_register(instance, SignRequest(src=tmp_path / "in.jpg", dest=dest, title="t"))
    assert read == ["in.jpg"]  # whether it carries credentials; not the signed copy
    monkeypatch.setattr(c2pa_io.C2paEngine, "read", real)
    assert pub.asset.manifest_label == instance.c2pa().read(dest, "image/jpeg").manifest_label
