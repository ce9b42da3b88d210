"""The walk over a manifest store's ingredient chain: every AI step at any depth, and
bounded against loops and depth bombs (hostile stores are JSON we did not write)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mediaproof.provenance.c2pa_io import (
    IPTC,
    MAX_CHAIN_DEPTH,
    MAX_CHAIN_MANIFESTS,
    _walk_chain,
)


def _manifest(
    actions: list[tuple[str, str | None]], links: list[tuple[str, str]] = ()
) -> dict[str, Any]:  # type: ignore[assignment]
    return {
        "signature_info": {"common_name": "Signer"},
        "assertions": [
            {
                "label": "c2pa.actions.v2",
                "data": {
                    "actions": [
                        {"action": a, **({"digitalSourceType": IPTC + d} if d else {})}
                        for a, d in actions
                    ]
                },
            }
        ],
        "ingredients": [
            {"title": t, "relationship": "parentOf", "active_manifest": link} for t, link in links
        ],
    }


def test_a_loop_is_read_once() -> None:
    store = {
        "manifests": {
            "a": _manifest([("c2pa.opened", None)], [("b", "b")]),
            "b": _manifest(
                [("c2pa.opened", None), ("c2pa.edited", "trainedAlgorithmicMedia")], [("a", "a")]
            ),
        }
    }
    chain = _walk_chain(store, "a")
    assert chain.read == 2 and not chain.truncated
    assert [(s["manifest_label"], s["depth"]) for s in chain.steps] == [("b", 1)]
    assert chain.role.value == "contains"


def test_a_depth_bomb_stops_and_says_so() -> None:
    n = MAX_CHAIN_DEPTH + 10
    manifests = {
        f"m{i}": _manifest([("c2pa.opened", None)], [(f"t{i}", f"m{i + 1}")]) for i in range(n)
    }
    manifests[f"m{n}"] = _manifest([("c2pa.created", "trainedAlgorithmicMedia")])
    chain = _walk_chain({"manifests": manifests}, "m0")
    assert chain.truncated
    assert chain.read == MAX_CHAIN_DEPTH + 1
    assert chain.steps == []  # beyond the bound: not read, and the data says so


def test_a_wide_store_is_bounded() -> None:
    n = MAX_CHAIN_MANIFESTS + 50
    manifests = {f"m{i}": _manifest([("c2pa.created", None)]) for i in range(n)}
    manifests["root"] = _manifest([("c2pa.opened", None)], [(f"t{i}", f"m{i}") for i in range(n)])
    chain = _walk_chain({"manifests": manifests}, "root")
    assert chain.truncated and chain.read == MAX_CHAIN_MANIFESTS


def test_the_origin_decides_generated() -> None:
    store = {
        "manifests": {
            "top": _manifest([("c2pa.opened", None), ("c2pa.cropped", None)], [("gen", "gen")]),
            "gen": _manifest([("c2pa.created", "trainedAlgorithmicMedia")]),
        }
    }
    assert _walk_chain(store, "top").role.value == "generated"
    store["manifests"]["gen"] = _manifest([("c2pa.created", "digitalCapture")])
    store["manifests"]["top"] = _manifest(
        [("c2pa.opened", None), ("c2pa.edited", "trainedAlgorithmicMedia")], [("cap", "gen")]
    )
    assert _walk_chain(store, "top").role.value == "contains"


def test_algorithmic_and_synthetic_types_are_not_ai_steps() -> None:
    store = {
        "manifests": {
            "a": _manifest(
                [("c2pa.created", "algorithmicMedia"), ("c2pa.placed", "compositeSynthetic")]
            )
        }
    }
    chain = _walk_chain(store, "a")
    assert chain.steps == [] and chain.role.value == "none"


def test_hostile_shapes_do_not_crash() -> None:
    for store in (
        {},
        {"manifests": []},
        {"manifests": {"a": None}},
        {
            "manifests": {
                "a": {
                    "assertions": [{"label": "c2pa.actions", "data": {"actions": [1, None]}}],
                    "ingredients": [None, {"active_manifest": 5}],
                }
            }
        },
    ):
        chain = _walk_chain(store, "a")  # type: ignore[arg-type]
        assert chain.steps == []


def test_only_a_remote_url_counts_as_remote_credentials(tmp_path: Path) -> None:
    from mediaproof.provenance.c2pa_io import _xmp_provenance_url

    def xmp(value: str) -> Path:
        p = tmp_path / "x.jpg"
        p.write_bytes(b'<x:xmpmeta><rdf:Description dcterms:provenance="' + value.encode() + b'"/>')
        return p

    assert _xmp_provenance_url(xmp("self#jumbf=/c2pa/urn:uuid:1/c2pa.claim")) is None
    assert _xmp_provenance_url(xmp("https://cr.example/m.c2pa")) == "https://cr.example/m.c2pa"
    assert _xmp_provenance_url(xmp("https://cr.example/a b")) == "https://cr.example/a"


def test_remote_url_is_found_in_any_case_and_after_other_bytes(tmp_path: Path) -> None:
    # the scan looks for the property's name before running the pattern: a name in
    # another case, far into the file, must still be found; a file without it is None
    from mediaproof.provenance.c2pa_io import _xmp_provenance_url

    p = tmp_path / "x.jpg"
    p.write_bytes(
        b"\xff\xd8" + bytes(range(256)) * 4000
        + b"<rdf:Description DCTerms:Provenance='https://cr.example/m.c2pa'/>"
    )  # fmt: skip
    assert _xmp_provenance_url(p) == "https://cr.example/m.c2pa"
    p.write_bytes(b"\xff\xd8" + bytes(range(256)) * 4000 + b"dcterms:creator='x'")
    assert _xmp_provenance_url(p) is None
