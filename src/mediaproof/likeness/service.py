"""Enrol, list, delete and check: the likeness use cases over an engine pair and a store.

A check observes: it lists whose likeness scored at or above that person's threshold,
with the score and the threshold. It never says whether the media is fake.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from mediaproof.config import Limits
from mediaproof.errors import IngestError, MediaproofError
from mediaproof.likeness.calibration import POLICIES, calibrate
from mediaproof.likeness.errors import EnrolmentRejected, LikenessError, Rejection
from mediaproof.likeness.faces import FaceEngine, load_rgb
from mediaproof.likeness.models import (
    Enrolment,
    LikenessMatch,
    Modality,
    ReferenceVector,
    SampleRecord,
    Vector,
)
from mediaproof.likeness.store import LikenessStore
from mediaproof.likeness.voices import SR, VoiceEngine, decode_audio, speech_stats
from mediaproof.media.ingest import MediaInfo, ingest_file
from mediaproof.media.sniff import MediaKind


@dataclass(frozen=True)
class LikenessOptions:
    enrol_min_face_px: int = 80  # enrolment photos: the face's shorter side, pixels
    match_min_face_px: int = 40  # smaller faces are counted but not compared
    enrol_min_speech_s: float = 2.0
    match_min_speech_s: float = 1.0
    max_audio_s: float = 600.0  # longer audio is checked on its first ten minutes
    video_frame_interval_s: float = 1.0
    video_max_frames: int = 60


_SHARED: tuple[FaceEngine, VoiceEngine] | None = None


def shared_engines() -> tuple[FaceEngine, VoiceEngine]:
    """One engine pair per process: each loads its models (about 150 MB) once."""
    global _SHARED
    if _SHARED is None:
        _SHARED = (FaceEngine(), VoiceEngine())
    return _SHARED


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass
class CheckResult:
    """What a likeness check observed in one file."""

    kind: str
    faces_found: int = 0
    faces_too_small: int = 0
    frames_checked: int = 0
    speech_s: float = 0.0
    speech_verdict: str | None = None  # "speech", "silence", "not_speech"... or None
    enrolled: int = 0
    compared: list[str] = field(default_factory=list)  # modalities actually compared
    matches: list[LikenessMatch] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "faces_found": self.faces_found,
            "faces_too_small": self.faces_too_small,
            "frames_checked": self.frames_checked,
            "speech_s": round(self.speech_s, 2),
            "speech": self.speech_verdict,
            "enrolled_people": self.enrolled,
            "compared": self.compared,
            "matches": [m.as_dict() for m in self.matches],
        }


class LikenessService:
    def __init__(
        self,
        store: LikenessStore,
        limits: Limits | None = None,
        *,
        faces: FaceEngine | None = None,
        voices: VoiceEngine | None = None,
        options: LikenessOptions | None = None,
    ) -> None:
        self.store = store
        self.limits = limits or Limits()
        shared = shared_engines()
        self.face_engine = faces or shared[0]
        self.voice_engine = voices or shared[1]
        self.options = options or LikenessOptions()

    # --- samples ----------------------------------------------------------------

    def _ingest(self, path: Path, kinds: tuple[MediaKind, ...], what: str) -> MediaInfo:
        try:
            info = ingest_file(path, self.limits)
        except IngestError as e:
            raise EnrolmentRejected(
                f"{path.name}: {e.message}", reason="unreadable", sample=str(path)
            ) from e
        if info.kind not in kinds:
            raise EnrolmentRejected(
                f"{path.name} is {info.mime}, not {what}", reason="unreadable", sample=str(path)
            )
        return info

    def face_sample(self, path: Path) -> SampleRecord:
        """Embed the one usable face in an enrolment photo, or say why it cannot be used."""
        info = self._ingest(path, (MediaKind.IMAGE,), "a photo")
        try:
            rgb = load_rgb(path)
        except Exception as e:  # Pillow raises many types for bad data
            raise EnrolmentRejected(
                f"{path.name}: cannot decode the image ({e})",
                reason="unreadable",
                sample=str(path),
            ) from e
        found = self.face_engine.faces(rgb, min_face_px=self.options.enrol_min_face_px)
        usable = [f for f in found if f.vector is not None]
        need = self.options.enrol_min_face_px
        if not found:
            raise EnrolmentRejected(
                f"{path.name}: no face found",
                reason="no_face",
                sample=str(path),
                hint="use a photo where the face is upright, lit and seen from the front",
            )
        if not usable:
            raise EnrolmentRejected(
                f"{path.name}: the face is too small ({found[0].size_px} px; "
                f"at least {need} px needed)",
                reason="face_too_small",
                sample=str(path),
                hint="use a closer or larger photo",
            )
        if len(usable) > 1:
            raise EnrolmentRejected(
                f"{path.name}: {len(usable)} faces found; an enrolment photo must show "
                "only the person being enrolled",
                reason="several_faces",
                sample=str(path),
                hint="crop the photo to the person",
            )
        face = usable[0]
        assert face.vector is not None
        quality = {"face_px": face.size_px, "detector_score": round(face.detector_score, 3)}
        return SampleRecord(Modality.FACE, info.sha256, face.vector, quality)

    def voice_sample(self, path: Path) -> SampleRecord:
        """Embed the speech in an enrolment clip, or say why it cannot be used."""
        info = self._ingest(path, (MediaKind.AUDIO, MediaKind.VIDEO), "audio")
        try:
            wav = decode_audio(path, max_seconds=self.options.max_audio_s)
        except LikenessError as e:
            raise EnrolmentRejected(e.message, reason="unreadable", sample=str(path)) from e
        if len(wav) == 0:
            raise EnrolmentRejected(
                f"{path.name}: has no sound track", reason="silence", sample=str(path)
            )
        stats = speech_stats(wav)
        verdict = stats.verdict
        need = self.options.enrol_min_speech_s
        if verdict == "speech" and stats.speech_s < need:
            verdict = "too_little_speech"
        messages = {
            "silence": f"{path.name}: the clip is silent ({stats.level_dbfs:.0f} dBFS)",
            "noise_only": f"{path.name}: only noise, no speech heard",
            "not_speech": f"{path.name}: continuous sound without speech pauses "
            "(music or a tone?), no speech heard",
            "too_little_speech": f"{path.name}: too little speech ({stats.speech_s:.1f} s; "
            f"at least {need:.0f} s needed)",
        }
        if verdict != "speech":
            raise EnrolmentRejected(
                messages[verdict],
                reason=verdict,
                sample=str(path),
                hint="use a clip of the person speaking alone, without music",
            )
        vector = self.voice_engine.embed(self.voice_engine.prepare(wav))
        return SampleRecord(Modality.VOICE, info.sha256, vector, stats.as_dict())

    def screen(
        self, faces: Sequence[Path], voices: Sequence[Path]
    ) -> tuple[list[SampleRecord], list[Rejection]]:
        """Every sample's embedding or its rejection; nothing is stored."""
        records: list[SampleRecord] = []
        rejections: list[Rejection] = []
        for paths, fn in ((faces, self.face_sample), (voices, self.voice_sample)):
            for p in paths:
                try:
                    records.append(fn(p))
                except EnrolmentRejected as e:
                    rejections.append(Rejection(str(p), e.reason, str(e)))
        return records, rejections

    # --- enrolments -----------------------------------------------------------------

    def enrol(
        self,
        name: str,
        faces: Sequence[Path] = (),
        voices: Sequence[Path] = (),
        *,
        consent_note: str | None = None,
        keep_samples: bool = False,
        consent_recorded_by: str | None = None,
    ) -> Enrolment:
        """Enrol ``name`` if every sample is usable; otherwise raise
        :class:`EnrolmentRejected` naming each unusable sample (nothing is stored)."""
        name = name.strip()
        if not name:
            raise EnrolmentRejected("a name is needed", reason="no_name")
        if not faces and not voices:
            raise EnrolmentRejected(
                "no samples given",
                reason="no_samples",
                hint="give at least one --face photo or --voice clip (several are better)",
            )
        records, rejections = self.screen(faces, voices)
        if rejections:
            first = rejections[0]
            raise EnrolmentRejected(
                "; ".join(r.message for r in rejections),
                reason=first.reason,
                sample=first.sample,
                hint="nothing was stored; replace these samples",
                rejections=rejections,
            )
        unique = {(r.modality, r.sha256): r for r in records}
        enrolment = Enrolment(
            id=uuid.uuid4().hex[:16],
            name=name,
            created_at=now(),
            consent_note=consent_note,
            samples=list(unique.values()),
            samples_kept=keep_samples,
            consent_recorded_by=consent_recorded_by,
        )
        raw: dict[str, bytes] = {}
        if keep_samples:
            for p in [*faces, *voices]:
                data = p.read_bytes()
                raw[hashlib.sha256(data).hexdigest()] = data
        self._calibrate_one(enrolment, self.store.list_enrolments())
        self.store.add_enrolment(enrolment, raw)
        self.recalibrate()
        return self.store.get_enrolment(enrolment.id)

    def enrolments(self) -> list[Enrolment]:
        return self.store.list_enrolments()

    def delete(self, enrolment_id: str) -> str:
        """Delete an enrolment and all derived data; returns its digest (for the log)."""
        digest = self.store.delete_enrolment(enrolment_id)
        self.recalibrate()
        return digest

    # --- calibration --------------------------------------------------------------

    def _others(
        self, enrolment: Enrolment, everyone: Iterable[Enrolment], modality: Modality
    ) -> list[Vector]:
        vs = [r.vector for r in self.store.reference(modality)]
        for e in everyone:
            if e.id != enrolment.id:
                vs.extend(e.vectors(modality))
        return vs

    def _calibrate_one(self, enrolment: Enrolment, everyone: list[Enrolment]) -> None:
        enrolment.thresholds = {}
        for m in Modality:
            own = enrolment.vectors(m)
            if own:
                enrolment.thresholds[m] = calibrate(m, own, self._others(enrolment, everyone, m))

    def recalibrate(self) -> None:
        """Recompute every threshold: a new person or a new reference changes them."""
        everyone = self.store.list_enrolments()
        for e in everyone:
            before = {m: t.as_dict() for m, t in e.thresholds.items()}
            self._calibrate_one(e, everyone)
            if {m: t.as_dict() for m, t in e.thresholds.items()} != before:
                self.store.update_enrolment(e)

    def set_reference(self, modality: Modality, folder: Path) -> int:
        """Load an impostor-reference set: ``folder/<identity>/<files>``, people who are
        not enrolled. Their vectors (not the files) are kept, sealed, to calibrate."""
        if not folder.is_dir():
            raise LikenessError(f"{folder} is not a folder")
        vectors: list[ReferenceVector] = []
        for ident in sorted(p for p in folder.iterdir() if p.is_dir()):
            for f in sorted(p for p in ident.iterdir() if p.is_file()):
                try:
                    rec = self.face_sample(f) if modality is Modality.FACE else self.voice_sample(f)
                except EnrolmentRejected:
                    continue  # unusable reference files are skipped, not fatal
                vectors.append(ReferenceVector(modality, ident.name, rec.vector))
        if not vectors:
            raise LikenessError(f"no usable {modality.value} samples under {folder}")
        self.store.replace_reference(modality, vectors)
        self.recalibrate()
        return len(vectors)

    def reference_conflicts(self) -> list[dict[str, Any]]:
        """Reference identities that score like an enrolled person's own samples: most
        likely the same person, which would push that person's threshold up."""
        out = []
        for e in self.store.list_enrolments():
            for m, th in e.thresholds.items():
                tpl = e.template(m)
                if tpl is None:
                    continue
                bar = th.genuine_min if th.genuine_min is not None else POLICIES[m].ceiling
                best: dict[str, float] = {}
                for r in self.store.reference(m):
                    best[r.label] = max(best.get(r.label, -1.0), float(r.vector @ tpl))
                for label, score in sorted(best.items()):
                    if score >= bar:
                        out.append(
                            {
                                "enrolment_id": e.id,
                                "name": e.name,
                                "modality": m.value,
                                "reference_identity": label,
                                "score": round(score, 4),
                            }
                        )
        return out

    # --- checking -----------------------------------------------------------------------

    def check(self, path: Path, info: MediaInfo | None = None) -> CheckResult:
        info = info or ingest_file(path, self.limits)
        people = self.store.list_enrolments()
        result = CheckResult(kind=info.kind.value, enrolled=len(people))
        try:
            self._compare(path, info, people, result)
        except MediaproofError:
            raise
        except Exception as e:  # decoders raise many types for damaged media
            raise LikenessError(
                f"cannot decode {path.name} for a likeness check ({type(e).__name__}: {e})"
            ) from e
        result.matches = _best_per_person(result.matches)
        return result

    def _compare(
        self, path: Path, info: MediaInfo, people: list[Enrolment], result: CheckResult
    ) -> None:
        # only decode what someone is enrolled for: a face-only gallery skips audio
        faces = any(e.vectors(Modality.FACE) for e in people)
        voices = any(e.vectors(Modality.VOICE) for e in people)
        if faces and info.kind in (MediaKind.IMAGE, MediaKind.VIDEO):
            result.compared.append(Modality.FACE.value)
            if info.kind is MediaKind.IMAGE:
                self._check_faces(load_rgb(path), people, result, where={})
            else:
                for t, rgb in self._frames(path):
                    result.frames_checked += 1
                    self._check_faces(rgb, people, result, where={"time_s": round(t, 2)})
        if voices and info.kind in (MediaKind.AUDIO, MediaKind.VIDEO):
            result.compared.append(Modality.VOICE.value)
            self._check_voice(path, people, result)

    def _check_faces(
        self, rgb: Any, people: list[Enrolment], result: CheckResult, where: dict[str, Any]
    ) -> None:
        found = self.face_engine.faces(rgb, min_face_px=self.options.match_min_face_px)
        result.faces_found += len(found)
        result.faces_too_small += sum(1 for f in found if f.vector is None)
        for face in found:
            if face.vector is None:
                continue
            for e in people:
                _score(e, Modality.FACE, face.vector, {**where, **face.where()}, result)

    def _check_voice(self, path: Path, people: list[Enrolment], result: CheckResult) -> None:
        wav = decode_audio(path, max_seconds=self.options.max_audio_s)
        if len(wav) == 0:
            return
        stats = speech_stats(wav)
        result.speech_s = stats.speech_s
        verdict = stats.verdict
        if verdict == "speech" and stats.speech_s < self.options.match_min_speech_s:
            verdict = "too_little_speech"
        result.speech_verdict = verdict
        if verdict != "speech":
            return
        prepared = self.voice_engine.prepare(wav)
        if len(prepared) < SR:
            return
        for start, end, vec in self.voice_engine.embed_windows(prepared):
            span = {"speech_window_s": [round(start, 1), round(end, 1)]}
            for e in people:
                _score(e, Modality.VOICE, vec, span, result)

    def _frames(self, path: Path) -> Iterable[tuple[float, Any]]:
        """Frames every ``video_frame_interval_s`` seconds (at most ``video_max_frames``)."""
        import av

        step = self.options.video_frame_interval_s
        nxt = 0.0
        taken = 0
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.video:
                return
            stream = container.streams.video[0]
            for frame in container.decode(stream):
                t = float(frame.time) if frame.time is not None else nxt
                if t + 1e-6 < nxt:
                    continue
                yield t, frame.to_ndarray(format="rgb24")
                taken += 1
                nxt = t + step
                if taken >= self.options.video_max_frames:
                    break


def _score(
    e: Enrolment, m: Modality, vec: Vector, where: dict[str, Any], result: CheckResult
) -> None:
    tpl = e.template(m)
    thr = e.thresholds.get(m)
    if tpl is None or thr is None:
        return
    s = float(np.dot(vec, tpl))
    if s >= thr.value:
        result.matches.append(LikenessMatch(e.id, e.name, m, s, thr.value, dict(where)))


def _best_per_person(matches: list[LikenessMatch]) -> list[LikenessMatch]:
    best: dict[tuple[str, Modality], LikenessMatch] = {}
    for m in matches:
        k = (m.enrolment_id, m.modality)
        if k not in best or m.score > best[k].score:
            best[k] = m
    return sorted(best.values(), key=lambda m: (-m.score, m.name))
