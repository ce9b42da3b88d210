"""C2PA through c2pa-python: sign, and read into a typed report.

Remote manifest and OCSP fetching are switched off: a file that names a URL never makes
us fetch it. Thumbnails are off (they cost most of the signing time and leak content into
the manifest).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import c2pa

from mediaproof.errors import SigningError

# The manifest, report and chain halves live in their own modules; their names stay
# importable from here, where callers have always found them.
from mediaproof.provenance.c2pa_chain import MAX_CHAIN_DEPTH as MAX_CHAIN_DEPTH
from mediaproof.provenance.c2pa_chain import MAX_CHAIN_MANIFESTS as MAX_CHAIN_MANIFESTS
from mediaproof.provenance.c2pa_chain import walk_chain
from mediaproof.provenance.c2pa_manifest import AI_SOURCE_TYPES as AI_SOURCE_TYPES
from mediaproof.provenance.c2pa_manifest import DIGITAL_SOURCE_TYPES as DIGITAL_SOURCE_TYPES
from mediaproof.provenance.c2pa_manifest import IPTC as IPTC
from mediaproof.provenance.c2pa_manifest import PARENT_LABEL as PARENT_LABEL
from mediaproof.provenance.c2pa_manifest import build_manifest as build_manifest
from mediaproof.provenance.c2pa_manifest import link_parent
from mediaproof.provenance.c2pa_report import ProvenanceReport as ProvenanceReport
from mediaproof.provenance.c2pa_report import ProvenanceState as ProvenanceState
from mediaproof.provenance.c2pa_report import StatusCode as StatusCode
from mediaproof.provenance.c2pa_report import (
    report_from_error,
    report_from_store,
    xmp_provenance_url,
)
from mediaproof.provenance.keys import SigningMaterial
from mediaproof.provenance.trust import C2PA_EKU_CONFIG

# their names before the split (private then, imported by the tests of the chain walk)
_walk_chain = walk_chain
_xmp_provenance_url = xmp_provenance_url

SIGNABLE_MIME = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/webp",
        "image/tiff",
        "image/avif",
        "image/heic",
        "image/heif",
        "image/gif",
        "video/mp4",
        "video/quicktime",
        "audio/mp4",
        "audio/wav",
        "audio/mpeg",
        "audio/flac",
        "application/pdf",
        "image/svg+xml",
    }
)


def c2pa_settings(trust_pem: str | None) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "version": 1,
        "verify": {
            "remote_manifest_fetch": False,
            "ocsp_fetch": False,
            "verify_trust": True,
        },
        "builder": {"thumbnail": {"enabled": False}},
    }
    if trust_pem:
        settings["trust"] = {"trust_anchors": trust_pem, "trust_config": C2PA_EKU_CONFIG}
    return settings


class C2paEngine:
    """One configured c2pa context (settings + trust), reused across calls."""

    def __init__(self, trust_pem: str | None = None) -> None:
        self.trust_pem = trust_pem or None
        self._ctx = c2pa.Context.from_dict(c2pa_settings(self.trust_pem))

    # --- reading -------------------------------------------------------------------

    def read(self, path: Path, mime: str, manifest_data: bytes | None = None) -> ProvenanceReport:
        """Validate the credentials in ``path`` (or ``manifest_data`` against it)."""
        try:
            with path.open("rb") as f:
                reader = c2pa.Reader(mime, f, manifest_data, context=self._ctx)
                try:
                    store = json.loads(reader.json())
                    state = reader.get_validation_state()
                finally:
                    reader.close()
        except c2pa.C2paError as e:
            report = report_from_error(e)
            if report.state is ProvenanceState.ABSENT and report.remote_url is None:
                report.remote_url = xmp_provenance_url(path)
            return report
        return report_from_store(store, state)

    # --- signing -------------------------------------------------------------------

    def sign(
        self,
        src: Path,
        dest: Path,
        mime: str,
        material: SigningMaterial,
        manifest: dict[str, Any],
        parent: bool = False,
        parent_src: Path | None = None,
    ) -> bytes:
        """Sign ``src`` into ``dest``; returns the manifest store bytes (JUMBF).

        ``parent_src``: where the parent ingredient is read from when it is not ``src``
        itself (``src`` is a watermarked rendition of a file that carries credentials)."""
        if mime not in SIGNABLE_MIME:
            raise SigningError(
                f"cannot sign {mime} files", hint="supported: " + ", ".join(sorted(SIGNABLE_MIME))
            )
        try:
            signer = c2pa.Signer.from_info(
                c2pa.C2paSignerInfo(
                    material.alg.encode(), material.chain_pem, material.key_pem, None
                )
            )
        except c2pa.C2paError as e:
            raise SigningError(f"the signing key or certificate was refused: {e}") from e
        if parent:
            manifest = link_parent(manifest)
        try:
            builder = c2pa.Builder(manifest, context=self._ctx)
            with src.open("rb") as fin:
                if parent:
                    with (parent_src or src).open("rb") as pin:
                        builder.add_ingredient(
                            {
                                "title": manifest.get("title", src.name),
                                "relationship": "parentOf",
                                "label": PARENT_LABEL,
                            },
                            mime,
                            pin,
                        )
                    fin.seek(0)
                buf = io.BytesIO()
                manifest_bytes = builder.sign(signer, mime, fin, buf)
            tmp = dest.with_name(dest.name + ".partial")
            tmp.write_bytes(buf.getbuffer())
            tmp.replace(dest)  # atomic: a crash never leaves a half-written output
        except c2pa.C2paError as e:
            raise SigningError(f"C2PA signing failed: {e}") from e
        finally:
            signer.close()
        return bytes(manifest_bytes)
