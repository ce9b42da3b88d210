"""The prompt embedder on other backends, side by side in one process (issue #19, speed).

    PYTHONPATH=src python bench/bench_embed_backends.py [--every 1] [--rounds 3]

    PYTHONPATH=src python bench/bench_embed_backends.py --redteam   # + every part's slices

Backends, all on the shipped all-MiniLM-L6-v2 weights, one thread each:
- ``old_default``: the encoder as it was before the int8 work: batches sorted by
  characters, and the bfloat16 weight copy wherever oneDNN said it could run bfloat16
  (also on CPUs without bfloat16 instructions, where it is emulated);
- ``old_fp32``: the same batching in float32;
- ``torch_fp32``: the direct encoder in float32, batched by token count (``float``'s exact
  path on a CPU without bfloat16 instructions);
- ``torch_bf16``: the same with the bfloat16 weight copy;
- ``torch_int8``: the int8 copy alone (``quantize_dynamic`` of the Linear layers), for
  its speed and how far it drifts; not a candidate by itself (its decisions differ);
- ``int8_checked``: the int8 first pass with the exact recheck near the thresholds (the
  default, ``Screener._nearest``);
- ``ort_fp32``: the same weights exported locally (``torch.onnx.export``, into a temporary
  folder: nothing is downloaded) and run by ONNX Runtime with all its graph optimisations;
- ``ort_int8``: that graph through ``onnxruntime.quantization.quantize_dynamic`` (QInt8
  weights, per channel), alone;
- ``ort_int8_checked``: ``ort_int8`` as the first pass with the torch float32 recheck.

Each is timed as the screener uses it (``Screener.screen_many`` with no cache) on the
red-team prompts the rules allow (every one of them needs the embedding: the worst case
and the one the 200 prompts/s aim is about), in alternating rounds so that a load change
hits all alike, as prompts per second of this process's CPU time (per core with one
thread). Quality: each backend's cosine to sentence-transformers' float32 ``encode`` over
the masked red-team texts, the largest difference of a cosine to a built-in seed
(``seed_cos_dev_max``: what ``embed.FAST_MARGIN`` must exceed), and the decisions and
reasons on the timed prompts against that reference. ``--redteam`` screens every part
with the old default and with each candidate and compares recall, the worst slices and
the hard negatives blocked. Prints JSON with the load average before and after.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from mediaproof.screening import embed
from mediaproof.screening.engine import ALLOW, Screener, _mask
from mediaproof.screening.evaluate import REPORT_ONLY, SPLITS, load_officials, load_set
from mediaproof.screening.normalize import normalize
from mediaproof.screening.seeds import builtin

_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class _Torch:
    """The direct encoder on one weight copy (float32, bfloat16 or int8)."""

    def __init__(self, e: embed.SentenceEmbedder, encoder: Any) -> None:
        parts = embed._direct_parts(e.model)
        assert parts is not None
        self.name, self.parts = e.name, (parts[0], encoder, parts[2])

    def encode(self, texts: list[str]) -> embed.Matrix:
        return embed._encode_direct(self.parts, texts)


class _OldBatching(_Torch):
    """As the encoder was before: batches sorted by characters, padded per batch."""

    def encode(self, texts: list[str]) -> embed.Matrix:
        tokenizer, encoder, max_tokens = self.parts
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), 384), dtype=np.float32)
        with torch.inference_mode():
            for i in range(0, len(texts), embed.BATCH):
                idx = order[i : i + embed.BATCH]
                batch = tokenizer([texts[j] for j in idx], padding=True, truncation=True,
                                  max_length=max_tokens, return_tensors="pt")
                hidden = encoder(**batch).last_hidden_state.float()
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                vecs = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out[idx] = torch.nn.functional.normalize(vecs, dim=1).numpy()
        return out


class _Checked:
    """A first pass (``fast``) with the exact recheck near the thresholds: the screener
    sees ``encode_fast`` and ``fast_margin`` and does the rest."""

    def __init__(self, exact: embed.Embedder, fast: embed.Embedder) -> None:
        self.name, self.exact, self.fast = exact.name, exact, fast
        self.fast_margin = embed.FAST_MARGIN

    def encode(self, texts: list[str]) -> embed.Matrix:
        return self.exact.encode(texts)

    def encode_fast(self, texts: list[str]) -> embed.Matrix:
        return self.fast.encode(texts)


class _Reference:
    """sentence-transformers' own float32 ``encode``: what the seed thresholds were set on."""

    def __init__(self, e: embed.SentenceEmbedder) -> None:
        self.name, self.model = e.name, e.model

    def encode(self, texts: list[str]) -> embed.Matrix:
        out = self.model.encode(  # type: ignore[attr-defined]
            texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32)


class _Pooled(torch.nn.Module):
    """The encoder with mean pooling and unit length, so ONNX returns the embedding."""

    def __init__(self, encoder: Any) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
        hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        vecs = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(vecs, dim=1)


class _Ort:
    def __init__(self, e: embed.SentenceEmbedder, path: Path) -> None:
        import onnxruntime as ort

        parts = embed._direct_parts(e.model)
        assert parts is not None
        self.name, self.tokenizer, self.max_tokens = e.name, parts[0], parts[2]
        so = ort.SessionOptions()
        so.intra_op_num_threads = so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])

    def encode(self, texts: list[str]) -> embed.Matrix:
        # the same batching as the torch path: sorted by length, batches of embed.BATCH
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for i in range(0, len(texts), embed.BATCH):
            idx = order[i : i + embed.BATCH]
            b = self.tokenizer([texts[j] for j in idx], padding=True, truncation=True,
                               max_length=self.max_tokens, return_tensors="np")
            feed = {k: np.asarray(b[k], dtype=np.int64) for k in _INPUTS}
            out[idx] = self.session.run(None, feed)[0]
        return out


def export(e: embed.SentenceEmbedder, folder: Path, fuse: bool = True
           ) -> tuple[Path, Path | None]:
    """The shipped weights as ONNX (float32), and the BERT-fused graph where ``onnx`` is
    installed."""
    parts = embed._direct_parts(e.model)
    assert parts is not None
    tokenizer, encoder, _ = parts
    plain = folder / "minilm.onnx"
    b = tokenizer(["a short one", "a somewhat longer example sentence"], padding=True,
                  return_tensors="pt")
    axes = {k: {0: "batch", 1: "tokens"} for k in _INPUTS}
    with torch.inference_mode():
        torch.onnx.export(
            _Pooled(encoder).eval(), tuple(b[k] for k in _INPUTS), str(plain),
            input_names=list(_INPUTS), output_names=["embedding"],
            dynamic_axes={**axes, "embedding": {0: "batch"}}, opset_version=17, dynamo=False,
        )
    if not fuse:  # the fused graph was slower (bench/screening_backends.json before int8)
        return plain, None
    try:
        from onnxruntime.transformers import optimizer
    except ImportError:
        return plain, None
    fused = folder / "minilm.fused.onnx"
    m = optimizer.optimize_model(str(plain), model_type="bert", num_heads=12, hidden_size=384,
                                 opt_level=1, use_gpu=False)
    m.save_model_to_file(str(fused))
    return plain, fused


def quantize_ort(plain: Path, folder: Path) -> Path:
    """``plain`` with int8 weights (onnxruntime's dynamic quantisation, per channel)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out = folder / "minilm.int8.onnx"
    quantize_dynamic(str(plain), str(out), weight_type=QuantType.QInt8, per_channel=True)
    return out


def _answer(d: Any) -> tuple[str, tuple[tuple[str, str, str | None], ...]]:
    """A decision and its reasons (rule, matched words, seed id), scores left out."""
    return (d.decision, tuple((r.rule, r.matched, r.detail) for r in d.reasons))


def redteam(people_of: Any, backends: dict[str, embed.Embedder]) -> dict[str, Any]:
    """Every part screened with each backend: recall, blocked share, hard negatives
    blocked, the worst slice of each slicing, and how many answers differ from
    ``old_default``'s."""
    from mediaproof.screening.evaluate import evaluate

    out: dict[str, Any] = {}
    for split in (*SPLITS, *REPORT_ONLY):
        rows = load_set(split)
        res: dict[str, Any] = {}
        base: list[Any] = []
        for k, b in backends.items():
            s = Screener(people_of(split), builtin(), b, cache_size=0)
            seen: list[Any] = []
            screen_many = s.screen_many

            def record(prompts: Any, screen_many: Any = screen_many, seen: Any = seen) -> Any:
                got = screen_many(prompts)
                seen.extend(got)
                return got

            s.screen_many = record  # type: ignore[method-assign]
            r = evaluate(s, rows)
            answers = [_answer(d) for d in seen]
            if not base:
                base = answers
            res[k] = {
                "recall": r["recall"]["rate"], "recall_k": r["recall"]["k"],
                "blocked": r["recall_block_only"]["k"],
                "hard_negatives_blocked": r["hard_negatives_blocked"]["k"],
                "hard_negatives_reviewed": r["hard_negatives_reviewed"]["k"],
                "worst": {n: f"{w['slice']} {w['k']}/{w['n']}" for n, w in r["worst"].items()},
                "decisions_differ": sum(a[0] != b[0] for a, b in zip(answers, base, strict=True)),
                "answers_differ": sum(a != b for a, b in zip(answers, base, strict=True)),
            }
        out[split] = {"prompts": len(rows), **res}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--every", type=int, default=1, help="every Nth allowed prompt timed")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--redteam", action="store_true", help="also every part, old vs new")
    args = ap.parse_args()
    torch.set_num_threads(1)
    t0, c0 = time.perf_counter(), time.process_time()
    e = embed.load("float")
    load_float = (time.perf_counter() - t0, time.process_time() - c0)
    if e is None:
        raise SystemExit(embed.load_error())
    t0, c0 = time.perf_counter(), time.process_time()
    embed._choose_int8(e)  # what load("int8_checked") adds to load("float")
    load_int8 = (time.perf_counter() - t0, time.process_time() - c0)
    rows = [r for s in (*SPLITS, *REPORT_ONLY) for r in load_set(s)]
    people = [p for s in (*SPLITS, *REPORT_ONLY) for p in load_officials(s)]
    rules_only = Screener(people, builtin(), None)
    texts = [r["text"] for r in rows]
    allowed = [t for t, d in zip(texts, rules_only.screen_many(texts), strict=True)
               if d.decision == ALLOW][:: args.every]
    masked = sorted({_mask(n, rules_only.index.find(n)) for n in map(normalize, texts)})
    masked_allowed = [_mask(n, rules_only.index.find(n) + rules_only.index.role_people(n))
                      for n in map(normalize, allowed)]
    out: dict[str, Any] = {
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(), "native_bf16": embed.native_bf16(),
        "onednn_bf16": bool(torch.ops.mkldnn._is_mkldnn_bf16_supported()),
        "quantized_engine": torch.backends.quantized.engine,
        "load_float_s": {"wall": round(load_float[0], 2), "cpu": round(load_float[1], 2)},
        "int8_copy_s": {"wall": round(load_int8[0], 2), "cpu": round(load_int8[1], 2)},
        "int8_kept": e.int8_encoder is not None,
        "prompts_timed": len(allowed), "masked_texts_checked": len(masked),
    }
    ref = _Reference(e)
    ref_vecs = ref.encode(masked)
    ref_ans = [_answer(d) for d in Screener(people, builtin(), ref, cache_size=0)
               .screen_many(allowed)]
    seed_ref = ref_vecs @ ref.encode([s.text for s in builtin()]).T
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.process_time()
        plain, _ = export(e, Path(tmp), fuse=False)
        out["export_cpu_s"] = round(time.process_time() - t0, 1)
        t0 = time.process_time()
        int8_path = quantize_ort(plain, Path(tmp))
        out["ort_quantize_cpu_s"] = round(time.process_time() - t0, 1)
        parts = embed._direct_parts(e.model)
        assert parts is not None
        bf16_copy = copy.deepcopy(parts[1]).to(torch.bfloat16)
        old_default = torch.ops.mkldnn._is_mkldnn_bf16_supported()  # the old rule for bf16
        fp32 = _Torch(e, parts[1])
        int8 = _Torch(e, e.int8_encoder)
        ort_int8 = _Ort(e, int8_path)
        backends: dict[str, embed.Embedder] = {
            "old_default": _OldBatching(e, bf16_copy if old_default else parts[1]),
            "old_fp32": _OldBatching(e, parts[1]),
            "torch_fp32": fp32,
            "torch_bf16": _Torch(e, bf16_copy),
            "torch_int8": int8,
            "int8_checked": _Checked(fp32, int8),
            "ort_fp32": _Ort(e, plain),
            "ort_int8": ort_int8,
            "ort_int8_checked": _Checked(fp32, ort_int8),
        }
        screeners = {k: Screener(people, builtin(), b, cache_size=0) for k, b in backends.items()}
        quality: dict[str, Any] = {}
        for k, b in backends.items():
            vecs = b.encode_fast(masked) if isinstance(b, _Checked) else b.encode(masked)
            cos = np.sum(vecs * ref_vecs, axis=1)
            dev = np.abs(vecs @ ref.encode([s.text for s in builtin()]).T - seed_ref)
            ans = [_answer(d) for d in screeners[k].screen_many(allowed)]
            quality[k] = {
                "cosine_min": round(float(cos.min()), 7),
                "cosine_p01": round(float(np.percentile(cos, 1)), 7),
                "seed_cos_dev_max": round(float(dev.max()), 4),
                "decisions_differ": sum(a[0] != b[0] for a, b in zip(ans, ref_ans, strict=True)),
                "answers_differ": sum(a != b for a, b in zip(ans, ref_ans, strict=True)),
            }
            if isinstance(b, _Checked):
                floor = Screener(people, builtin(), None).thresholds.seed_review - b.fast_margin
                near = (b.encode_fast(sorted(set(masked_allowed))) @ ref.encode(
                    [s.text for s in builtin()]).T).max(axis=1)
                quality[k]["rechecked_share"] = round(float(np.mean(near >= floor)), 3)
        rates: dict[str, list[float]] = {k: [] for k in backends}
        for _ in range(args.rounds):  # alternating, so a load change hits every backend
            for k, s in screeners.items():
                c0 = time.process_time()
                for i in range(0, len(allowed), 64):
                    s.screen_many(allowed[i : i + 64])
                rates[k].append(round(len(allowed) / (time.process_time() - c0), 1))
        if args.redteam:
            out["redteam"] = redteam(load_officials, {
                "old_default": backends["old_default"], "torch_fp32": fp32,
                "int8_checked": backends["int8_checked"],
                "ort_int8_checked": backends["ort_int8_checked"],
                "torch_int8": int8,
            })
    base = float(np.median(rates["old_default"]))
    out["prompts_per_cpu_s"] = {
        k: {"rounds": v, "median": float(np.median(v)),
            "vs_old_default": round(float(np.median(v)) / base, 3), **quality[k]}
        for k, v in rates.items()
    }
    out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
