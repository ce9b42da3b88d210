"""Likeness data: what an enrolment holds and what a check reports.

Embeddings are L2-normalised float32 vectors; every score is a cosine similarity (higher
means more alike) and is always shown with the threshold it was compared against.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import numpy.typing as npt

Vector = npt.NDArray[np.float32]


class Modality(StrEnum):
    FACE = "face"
    VOICE = "voice"


def normalise(v: npt.ArrayLike) -> Vector:
    a = np.asarray(v, dtype=np.float32).reshape(-1)
    n = float(np.linalg.norm(a))
    return a / n if n > 0 else a


def template(vectors: list[Vector]) -> Vector:
    """The person's reference vector: the normalised mean of their sample vectors."""
    return normalise(np.mean(np.stack(vectors), axis=0))


def _enc(v: Vector) -> str:
    return base64.b64encode(np.asarray(v, dtype="<f4").tobytes()).decode()


def _dec(s: str) -> Vector:
    return np.frombuffer(base64.b64decode(s), dtype="<f4").astype(np.float32)


@dataclass
class Threshold:
    """A per-person decision threshold and how it was reached (shown to reviewers)."""

    value: float
    method: str  # e.g. "impostor_max+margin", "floor", "default"
    genuine_min: float | None = None  # lowest leave-one-out score of their own samples
    impostor_max: float | None = None  # highest score of anyone else against their template
    impostors: int = 0  # how many other-person vectors were compared

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": round(self.value, 4),
            "method": self.method,
            "genuine_min": None if self.genuine_min is None else round(self.genuine_min, 4),
            "impostor_max": None if self.impostor_max is None else round(self.impostor_max, 4),
            "impostors": self.impostors,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Threshold:
        return cls(
            value=float(d["value"]),
            method=str(d["method"]),
            genuine_min=d.get("genuine_min"),
            impostor_max=d.get("impostor_max"),
            impostors=int(d.get("impostors", 0)),
        )


@dataclass
class SampleRecord:
    """One accepted enrolment sample: its embedding and what we measured, never its bytes
    (unless the operator opted in to keeping samples; those are stored apart)."""

    modality: Modality
    sha256: str  # digest of the sample file, to refuse the same sample twice
    vector: Vector
    quality: dict[str, Any] = field(default_factory=dict)  # face size, speech seconds...

    def to_json(self) -> dict[str, Any]:
        return {
            "modality": self.modality.value,
            "sha256": self.sha256,
            "vector": _enc(self.vector),
            "quality": self.quality,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> SampleRecord:
        return cls(Modality(d["modality"]), d["sha256"], _dec(d["vector"]), d.get("quality", {}))


@dataclass
class Enrolment:
    id: str
    name: str
    created_at: str  # ISO 8601 UTC
    consent_note: str | None
    samples: list[SampleRecord]
    thresholds: dict[Modality, Threshold] = field(default_factory=dict)
    samples_kept: bool = False  # raw samples stored (operator opt-in)
    consent_recorded_by: str | None = None  # the account that recorded the consent (API)

    def vectors(self, modality: Modality) -> list[Vector]:
        return [s.vector for s in self.samples if s.modality is modality]

    def template(self, modality: Modality) -> Vector | None:
        vs = self.vectors(modality)
        return template(vs) if vs else None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "created_at": self.created_at,
            "consent_note": self.consent_note,
            "samples": [s.to_json() for s in self.samples],
            "thresholds": {m.value: t.as_dict() for m, t in self.thresholds.items()},
            "samples_kept": self.samples_kept,
            # only when set, so digests of enrolments made before the field stay the same
            **(
                {"consent_recorded_by": self.consent_recorded_by}
                if self.consent_recorded_by
                else {}
            ),
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Enrolment:
        return cls(
            id=d["id"],
            name=d["name"],
            created_at=d["created_at"],
            consent_note=d.get("consent_note"),
            samples=[SampleRecord.from_json(s) for s in d["samples"]],
            thresholds={Modality(k): Threshold.from_dict(v) for k, v in d["thresholds"].items()},
            samples_kept=bool(d.get("samples_kept", False)),
            consent_recorded_by=d.get("consent_recorded_by"),
        )

    def digest(self) -> str:
        """SHA-256 of the enrolment's canonical JSON without its thresholds (they are
        recalibrated as people come and go; the digest must not move with them): the only
        thing about an enrolment that may leave the instance (e.g. as a log leaf)."""
        content = self.to_json()
        del content["thresholds"]
        body = json.dumps(content, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(body.encode()).hexdigest()

    def summary(self) -> dict[str, Any]:
        """What listings show: no vectors."""
        return {
            "id": self.id,
            "name": self.name,
            "created_at": self.created_at,
            "consent_note": self.consent_note,
            "consent_recorded_by": self.consent_recorded_by,
            "faces": len(self.vectors(Modality.FACE)),
            "voices": len(self.vectors(Modality.VOICE)),
            "thresholds": {m.value: t.as_dict() for m, t in self.thresholds.items()},
            "samples_kept": self.samples_kept,
            "digest": self.digest(),
        }


@dataclass
class ReferenceVector:
    """An impostor-reference vector: someone who is not enrolled, used only to calibrate."""

    modality: Modality
    label: str  # identity label within the reference set (e.g. a corpus speaker id)
    vector: Vector


@dataclass
class LikenessMatch:
    """One enrolled person whose likeness scored at or above their threshold."""

    enrolment_id: str
    name: str
    modality: Modality
    score: float
    threshold: float
    where: dict[str, Any] = field(default_factory=dict)  # face box, frame time, audio span

    @property
    def wording(self) -> str:
        verb = (
            "shows someone who looks like"
            if self.modality is Modality.FACE
            else ("has a voice that sounds like")
        )
        return f"{verb} {self.name}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "enrolment_id": self.enrolment_id,
            "name": self.name,
            "modality": self.modality.value,
            "score": round(self.score, 4),
            "threshold": round(self.threshold, 4),
            "where": self.where,
            "statement": self.wording,
        }
