"""The prompt embedder on other backends, side by side in one process (issue #19, speed).

    PYTHONPATH=src python bench/bench_embed_backends.py [--every 1] [--rounds 3]

Backends, all on the shipped all-MiniLM-L6-v2 weights, one thread each:
- ``torch_fp32``: today's direct encoder in float32;
- ``torch_bf16``: the same with the bfloat16 weight copy (today's default where the CPU has
  bfloat16 instructions);
- ``ort_fp32``: the same weights exported locally (``torch.onnx.export``, into a temporary
  folder: nothing is downloaded) and run by ONNX Runtime with all its graph optimisations;
- ``ort_fp32_fused``: that graph through ``onnxruntime.transformers``' BERT optimiser
  (fused attention, skip-layernorm, gelu; needs the ``onnx`` package).

Each is timed as the screener uses it (``Screener.screen_many`` with no cache) on the
red-team prompts the rules allow (every one of them needs the embedding: the worst case
and the one the 200 prompts/s aim is about), in alternating rounds so that a load change
hits all alike, as prompts per second of this process's CPU time (per core with one
thread). Quality: each backend's cosine to sentence-transformers' float32 ``encode`` over
the masked red-team texts, and the decisions on those prompts against that reference.
Prints JSON with the load average before and after.
"""

from __future__ import annotations

import argparse
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
    def __init__(self, e: embed.SentenceEmbedder, bf16: bool) -> None:
        self.name, self.e, self.bf16 = e.name, e, bf16

    def encode(self, texts: list[str]) -> embed.Matrix:
        return self.e.encode(texts) if self.bf16 else self.e.encode_fp32(texts)


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


def export(e: embed.SentenceEmbedder, folder: Path) -> tuple[Path, Path | None]:
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
    try:
        from onnxruntime.transformers import optimizer
    except ImportError:
        return plain, None
    fused = folder / "minilm.fused.onnx"
    m = optimizer.optimize_model(str(plain), model_type="bert", num_heads=12, hidden_size=384,
                                 opt_level=1, use_gpu=False)
    m.save_model_to_file(str(fused))
    return plain, fused


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--every", type=int, default=1, help="every Nth allowed prompt timed")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(1)
    e = embed.load()
    if e is None:
        raise SystemExit(embed.load_error())
    rows = [r for s in (*SPLITS, *REPORT_ONLY) for r in load_set(s)]
    people = [p for s in (*SPLITS, *REPORT_ONLY) for p in load_officials(s)]
    rules_only = Screener(people, builtin(), None)
    texts = [r["text"] for r in rows]
    allowed = [t for t, d in zip(texts, rules_only.screen_many(texts), strict=True)
               if d.decision == ALLOW][:: args.every]
    masked = sorted({_mask(n, rules_only.index.find(n)) for n in map(normalize, texts)})
    out: dict[str, Any] = {
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(), "bf16_cpu": e.bf16, "prompts_timed": len(allowed),
        "masked_texts_checked": len(masked),
    }
    ref = _Reference(e)
    ref_vecs = ref.encode(masked)
    ref_dec = [d.decision for d in Screener(people, builtin(), ref, cache_size=0)
               .screen_many(allowed)]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.process_time()
        plain, fused = export(e, Path(tmp))
        out["export_cpu_s"] = round(time.process_time() - t0, 1)
        backends: dict[str, embed.Embedder] = {"torch_fp32": _Torch(e, False)}
        if e.bf16:
            backends["torch_bf16"] = _Torch(e, True)
        backends["ort_fp32"] = _Ort(e, plain)
        if fused is not None:
            backends["ort_fp32_fused"] = _Ort(e, fused)
        screeners = {k: Screener(people, builtin(), b, cache_size=0) for k, b in backends.items()}
        quality: dict[str, Any] = {}
        for k, b in backends.items():
            cos = np.sum(b.encode(masked) * ref_vecs, axis=1)
            dec = [d.decision for d in screeners[k].screen_many(allowed)]
            quality[k] = {
                "cosine_min": round(float(cos.min()), 7),
                "cosine_p01": round(float(np.percentile(cos, 1)), 7),
                "decisions_differ": sum(a != b for a, b in zip(dec, ref_dec, strict=True)),
            }
        rates: dict[str, list[float]] = {k: [] for k in backends}
        for _ in range(args.rounds):  # alternating, so a load change hits every backend
            for k, s in screeners.items():
                c0 = time.process_time()
                for i in range(0, len(allowed), 64):
                    s.screen_many(allowed[i : i + 64])
                rates[k].append(round(len(allowed) / (time.process_time() - c0), 1))
    base = float(np.median(rates["torch_bf16" if e.bf16 else "torch_fp32"]))
    out["prompts_per_cpu_s"] = {
        k: {"rounds": v, "median": float(np.median(v)),
            "vs_today": round(float(np.median(v)) / base, 3), **quality[k]}
        for k, v in rates.items()
    }
    out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
