"""Model cards: what a detector is, where its weights come from, and how well it measured.

A card is a JSON file checked at load: every weights file must exist and match its sha256,
every required field must be there, thresholds must be ordered. ``evaluation`` is never
typed by hand: ``mediaproof detectors evaluate ... --write-card`` writes it into the card
(see docs/detectors.md).
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mediaproof.detection.errors import CardError
from mediaproof.detection.protocol import Modality

_HEX = "0123456789abcdef"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WeightsFile(_Strict):
    path: str = Field(description="relative to the detector's base directory")
    sha256: str

    @field_validator("sha256")
    @classmethod
    def _hex(cls, v: str) -> str:
        v = v.lower()
        if len(v) != 64 or any(c not in _HEX for c in v):
            raise ValueError("sha256 must be 64 hex digits")
        return v

    @field_validator("path")
    @classmethod
    def _relative(cls, v: str) -> str:
        p = Path(v)
        if p.is_absolute() or ".." in p.parts or not v:
            raise ValueError("weights paths are relative and stay inside the base directory")
        return v


class TrainingData(_Strict):
    generators: list[str] = Field(min_length=1)
    real_sources: list[str] = Field(min_length=1)
    cutoff: date = Field(description="latest generator or image date in the training data")
    notes: str = ""


class Calibration(_Strict):
    """``platt``: p = sigmoid(a * logit(raw) + b), fitted on ``fitted_on``."""

    method: Literal["none", "platt"]
    a: float = 1.0
    b: float = 0.0
    fitted_on: str

    def apply(self, raw: float) -> float:
        if self.method == "none":
            return raw
        eps = 1e-4
        r = min(max(raw, eps), 1.0 - eps)
        z = self.a * math.log(r / (1.0 - r)) + self.b
        return 1.0 / (1.0 + math.exp(-z))


class Thresholds(_Strict):
    """Calibrated probability <= ``not_consistent_at_most``: not consistent with AI;
    >= ``consistent_at_least``: consistent with AI; in between: uncertain."""

    not_consistent_at_most: float = Field(ge=0.0, le=1.0)
    consistent_at_least: float = Field(ge=0.0, le=1.0)
    chosen_for: str

    @model_validator(mode="after")
    def _ordered(self) -> Thresholds:
        if not self.not_consistent_at_most < self.consistent_at_least:
            raise ValueError("not_consistent_at_most must be below consistent_at_least")
        return self

    def opinion(self, p: float) -> Literal["consistent", "not_consistent", "uncertain"]:
        if p >= self.consistent_at_least:
            return "consistent"
        if p <= self.not_consistent_at_most:
            return "not_consistent"
        return "uncertain"


class OnnxInput(_Strict):
    name: str
    size: int = Field(ge=8, le=4096)
    resize: Literal["shortest-side-center-crop", "stretch"]
    mean: tuple[float, float, float]
    std: tuple[float, float, float]

    @field_validator("std")
    @classmethod
    def _positive(cls, v: tuple[float, float, float]) -> tuple[float, float, float]:
        if any(s <= 0 for s in v):
            raise ValueError("std must be positive")
        return v


class OnnxSpec(_Strict):
    """How the ONNX adapter runs the model: input tensor (NCHW float32, RGB in [0, 1]
    then ``(x - mean) / std``) and what the named output means."""

    model: str = Field(description="a weights path listed in ``weights``")
    input: OnnxInput
    output: str
    output_kind: Literal["probability", "logit", "embedding"]
    head: str | None = Field(
        default=None,
        description="for 'embedding': a weights path to a JSON linear head "
        "{weights: [...], bias: float} applied to the L2-normalised embedding",
    )

    @model_validator(mode="after")
    def _head(self) -> OnnxSpec:
        if (self.output_kind == "embedding") != (self.head is not None):
            raise ValueError("an 'embedding' output needs a head, other outputs take none")
        return self


class ValidatedFor(_Strict):
    """The kinds of file the evaluation covered; others get 'not validated' flags."""

    formats: list[str] = Field(
        min_length=1,
        description="e.g. jpeg, png, webp; for audio wav, flac, mp3, ogg, m4a, and "
        "'soundtrack' when it was evaluated on the soundtracks of videos",
    )
    min_side: int = Field(ge=1)
    video_frames: bool = Field(
        default=False,
        description="whether the evaluation covered frames of videos; an image detector "
        "evaluated on stills only is flagged 'not validated' on a video's frames",
    )


class ModelCard(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$")
    version: str = Field(min_length=1)
    modality: Modality
    name: str
    licence: str = Field(min_length=1)
    source: str = Field(min_length=1, description="where the weights come from (URL, package)")
    weights: list[WeightsFile] = Field(default_factory=list)
    training_data: TrainingData
    intended_uses: list[str] = Field(min_length=1)
    out_of_scope: list[str] = Field(min_length=1)
    calibration: Calibration
    thresholds: Thresholds
    validated_for: ValidatedFor
    onnx: OnnxSpec | None = None
    evaluation: dict[str, Any] | None = Field(
        default=None, description="written by `mediaproof detectors evaluate --write-card`"
    )

    @model_validator(mode="after")
    def _onnx_files(self) -> ModelCard:
        listed = {w.path for w in self.weights}
        if self.onnx is not None:
            for p in (self.onnx.model, self.onnx.head):
                if p is not None and p not in listed:
                    raise ValueError(f"{p} is used by the ONNX spec but has no sha256 in weights")
        return self

    def public(self) -> dict[str, Any]:
        """What a reader of a verify report is shown about the detector."""
        return {
            "id": self.id,
            "version": self.version,
            "name": self.name,
            "licence": self.licence,
            "source": self.source,
            "training_generators": self.training_data.generators,
            "training_cutoff": self.training_data.cutoff.isoformat(),
            "intended_uses": self.intended_uses,
            "out_of_scope": self.out_of_scope,
            "thresholds": self.thresholds.model_dump(),
            "calibration": self.calibration.method,
            "calibration_fitted_on": self.calibration.fitted_on,
            "real_sources": self.training_data.real_sources,
        }


def parse_card(data: Any, *, where: str = "card") -> ModelCard:
    try:
        return ModelCard.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        loc = ".".join(str(x) for x in first["loc"]) or "(top level)"
        raise CardError(f"{where}: {loc}: {first['msg']}") from None


def load_card(path: Path) -> ModelCard:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CardError(f"model card not found: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CardError(f"model card {path} is not readable JSON ({e})") from None
    return parse_card(data, where=str(path))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_weights(card: ModelCard, base_dir: Path) -> dict[str, Path]:
    """Check every weights file against the card; return their resolved paths."""
    base = base_dir.resolve()
    out: dict[str, Path] = {}
    for w in card.weights:
        p = base / w.path  # relative with no '..' (checked by WeightsFile): stays inside
        if not p.is_file():
            raise CardError(f"{card.id}: weights file missing: {p}")
        got = sha256_file(p)
        if got != w.sha256:
            raise CardError(
                f"{card.id}: weights file {w.path} does not match its card "
                f"(sha256 {got[:16]}…, card says {w.sha256[:16]}…)"
            )
        out[w.path] = p
    return out


def write_evaluation(card_path: Path, report: dict[str, Any]) -> None:
    """Store the harness's report in the card under its manifest's name, leaving every
    other field (and other manifests' reports) as they are."""
    card = load_card(card_path)
    if report["detector"]["id"] != card.id:
        raise CardError(f"this report is for {report['detector']['id']}, the card is {card.id}")
    data = json.loads(card_path.read_text(encoding="utf-8"))
    runs = data.get("evaluation") or {}
    runs[report["manifest"]["name"]] = report
    data["evaluation"] = dict(sorted(runs.items()))
    parse_card(data, where=str(card_path))  # never write a card that would not load
    card_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
