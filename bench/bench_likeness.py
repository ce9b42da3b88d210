"""Likeness benchmark on the likeness corpus: ROC for faces and voices, and throughput.

    PYTHONPATH=src python bench/bench_likeness.py [--corpora ../shared/corpora] [--quick]

Prints one JSON object. ROC is template-based, as the product matches:
- faces: every single-face photo of an identity with two or more distinct photos is
  scored against the template (mean) of that identity's *other* photos (genuine) and
  against every other identity's template (impostor). Byte-identical files are counted
  once; multi-face photos (kit_with_rose, obama_and_biden, two_people) are left out
  because their faces carry no per-face label.
- voices: each LibriSpeech speaker's template is built from clips 0-3; clips 4-9 of that
  speaker are genuine trials, every clip of the nine other speakers an impostor trial.
- voices, calibrated: the product's own operating point. Each speaker in turn is enrolled
  from clips 0-3, with the largest impostor reference the corpus allows (clips 0-3 of
  every other speaker) and calibration.calibrate picking the threshold; clips 4-9 of the
  speaker (genuine) and of everyone else (impostor) are held out from both and checked
  against that threshold.
TPR at 1 % FPR uses the lowest threshold that lets at most 1 % of impostor trials
through (with under 100 impostor trials, that means none). Throughput runs one thread
(torch.set_num_threads(1); dlib is single-threaded), so it is per core; it is given per
wall-clock second and per CPU second (the latter is steadier on a shared machine).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np

from mediaproof.likeness.calibration import POLICIES, calibrate
from mediaproof.likeness.faces import FaceEngine, load_rgb
from mediaproof.likeness.models import Modality, Vector, template
from mediaproof.likeness.voices import SR, VoiceEngine, decode_audio, speech_stats


def roc(genuine: list[float], impostor: list[float]) -> dict[str, Any]:
    g, i = np.asarray(genuine), np.asarray(impostor)
    # AUC = P(genuine > impostor), ties count half (Mann-Whitney)
    auc = float(
        ((g[:, None] > i[None, :]).sum() + 0.5 * (g[:, None] == i[None, :]).sum())
        / (len(g) * len(i))
    )
    allowed = int(np.floor(0.01 * len(i)))
    srt = np.sort(i)[::-1]
    thr = float(srt[allowed]) + 1e-6 if allowed < len(srt) else float(srt[-1])
    return {
        "genuine_trials": len(g),
        "impostor_trials": len(i),
        "auc": round(auc, 4),
        "tpr_at_1pct_fpr": round(float((g >= thr).mean()), 4),
        "threshold_at_1pct_fpr": round(thr, 4),
        "genuine_min": round(float(g.min()), 4),
        "impostor_max": round(float(i.max()), 4),
    }


def at(genuine: list[float], impostor: list[float], t: float) -> dict[str, float]:
    return {
        "threshold": t,
        "tpr": round(float((np.asarray(genuine) >= t).mean()), 4),
        "fpr": round(float((np.asarray(impostor) >= t).mean()), 4),
    }


def bench_faces(root: Path, engine: FaceEngine) -> dict[str, Any]:
    labelled: list[tuple[str, Path]] = []
    for p in sorted((root / "knn_examples/train").glob("*/*")):
        labelled.append((p.parent.name, p))
    tests = {
        "obama1.jpg": "obama",
        "alex_lacamoire1.jpg": "alex_lacamoire",
        "johnsnow_test1.jpg": "kit_harington",
    }
    for name, ident in tests.items():
        labelled.append((ident, root / "knn_examples/test" / name))
    labelled += [
        ("obama", root / "obama-240p.jpg"),
        ("biden", root / "biden.jpg"),
        ("obama", root / "obama.jpg"),
        ("lin_manuel_miranda", root / "lin-manuel-miranda.png"),
    ]
    seen: set[str] = set()
    vecs: dict[str, list[Vector]] = {}
    n_images, t0, c0 = 0, time.perf_counter(), time.process_time()
    for ident, p in labelled:
        digest = hashlib.sha256(p.read_bytes()).hexdigest()
        faces = engine.faces(load_rgb(p), min_face_px=40)
        n_images += 1
        if digest in seen or len(faces) != 1 or faces[0].vector is None:
            continue
        seen.add(digest)
        vecs.setdefault(ident, []).append(faces[0].vector)
    multi = [
        root / "two_people.jpg",
        root / "knn_examples/test/kit_with_rose.jpg",
        root / "knn_examples/test/obama_and_biden.jpg",
    ]
    for p in multi:
        engine.faces(load_rgb(p), min_face_px=40)
        n_images += 1
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    genuine, impostor = [], []
    for ident, vs in vecs.items():
        if len(vs) < 2:
            continue
        for k, v in enumerate(vs):
            genuine.append(float(v @ template(vs[:k] + vs[k + 1 :])))
        tpl = template(vs)
        for other, ovs in vecs.items():
            if other != ident:
                impostor += [float(v @ tpl) for v in ovs]
    return {
        "identities": {k: len(v) for k, v in vecs.items()},
        "roc": roc(genuine, impostor),
        "at_floor_threshold": at(genuine, impostor, POLICIES[Modality.FACE].floor),
        "throughput": {
            "images": n_images,
            "wall_s": round(elapsed, 2),
            "cpu_s": round(cpu, 2),
            "images_per_s_per_core": round(n_images / elapsed, 2),
            "images_per_cpu_s": round(n_images / cpu, 2),
        },
    }


def bench_voices(root: Path, engine: VoiceEngine, quick: bool) -> dict[str, Any]:
    speakers = sorted(p for p in root.iterdir() if p.is_dir())
    clips_per = 6 if quick else 10
    emb: dict[str, list[Vector]] = {}
    audio_s, t0, c0 = 0.0, time.perf_counter(), time.process_time()
    for spk in speakers:
        for f in sorted(spk.glob("*.flac"))[:clips_per]:
            wav = decode_audio(f)
            audio_s += len(wav) / SR
            speech_stats(wav)  # the gate runs on every checked file too
            windows = engine.embed_windows(engine.prepare(wav))
            emb.setdefault(spk.name, []).append(windows[0][2])
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    genuine, impostor = [], []
    for spk, vs in emb.items():
        tpl = template(vs[:4])
        genuine += [float(v @ tpl) for v in vs[4:]]
        for other, ovs in emb.items():
            if other != spk:
                impostor += [float(v @ tpl) for v in ovs]
    return {
        "speakers": len(emb),
        "clips_per_speaker": clips_per,
        "roc": roc(genuine, impostor),
        "at_floor_threshold": at(genuine, impostor, POLICIES[Modality.VOICE].floor),
        "calibrated": calibrated_voices(emb),
        "throughput": {
            "audio_s": round(audio_s, 1),
            "wall_s": round(elapsed, 2),
            "cpu_s": round(cpu, 2),
            "audio_s_per_s_per_core": round(audio_s / elapsed, 2),
            "audio_s_per_cpu_s": round(audio_s / cpu, 2),
        },
    }


def calibrated_voices(emb: dict[str, list[Vector]]) -> dict[str, Any]:
    """Per-speaker calibrated thresholds against a held-out set (see the module doc)."""
    tp = fn = fp = tn = 0
    thresholds, methods = [], []
    for spk, vs in emb.items():
        reference = [v for other, ovs in emb.items() if other != spk for v in ovs[:4]]
        th = calibrate(Modality.VOICE, vs[:4], reference)
        thresholds.append(th.value)
        methods.append(th.method.split(" ")[0].split("(")[0])  # floor, midpoint, ...
        tpl = template(vs[:4])
        for v in vs[4:]:
            hit = float(v @ tpl) >= th.value
            tp, fn = tp + hit, fn + (not hit)
        for other, ovs in emb.items():
            if other != spk:
                for v in ovs[4:]:
                    hit = float(v @ tpl) >= th.value
                    fp, tn = fp + hit, tn + (not hit)
    return {
        "reference_vectors_per_speaker": 4 * (len(emb) - 1),
        "threshold_min": round(min(thresholds), 4),
        "threshold_max": round(max(thresholds), 4),
        "methods": {m: methods.count(m) for m in sorted(set(methods))},
        "genuine_trials": tp + fn,
        "impostor_trials": fp + tn,
        "tpr": round(tp / max(1, tp + fn), 4),
        "fpr": round(fp / max(1, fp + tn), 4),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    repo = Path(__file__).resolve().parents[1]
    ap.add_argument(
        "--corpora",
        type=Path,
        default=Path(os.environ.get("MEDIAPROOF_CORPORA", repo.parent / "shared" / "corpora")),
    )
    ap.add_argument("--quick", action="store_true", help="6 clips per speaker, not 10")
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    root = args.corpora / "likeness"
    faces, voices = FaceEngine(), VoiceEngine(threads=1)
    # load models before timing
    faces.faces(np.zeros((64, 64, 3), np.uint8), min_face_px=40)
    voices.embed(np.zeros(SR * 2, np.float32) + 1e-3)
    out = {
        "machine": {
            "python": sys.version.split()[0],
            "cpu": platform.processor() or platform.machine(),
            "cores_available": os.cpu_count(),
            "threads": 1,
        },
        "faces": bench_faces(root / "faces", faces),
        "voices": bench_voices(root / "voices/librispeech_test-other", voices, args.quick),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
