"""Likeness use cases on an instance: the store it keeps, and the transparency-log record.

Enrolment and deletion each leave leaves in the instance's transparency log holding only
an opaque subject id and digests (``subject.enrolled`` per modality, ``subject.withdrawn``);
never a name, a consent note or an embedding. The log commits the operator to when a
person was enrolled and withdrawn, without saying who.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mediaproof.likeness.models import Enrolment, Modality
from mediaproof.likeness.service import LikenessService
from mediaproof.likeness.store import LikenessStore, SqliteLikenessStore
from mediaproof.services.instance import Instance
from mediaproof.services.transparency import record_event
from mediaproof.transparency import entries
from mediaproof.transparency.entries import Entry


def open_store(inst: Instance) -> LikenessStore:
    """The instance's likeness store."""
    return SqliteLikenessStore.open(inst.home)


@contextmanager
def likeness_service(inst: Instance) -> Iterator[LikenessService]:
    """A service on the instance's store, closed afterwards (engines are shared)."""
    store = open_store(inst)
    try:
        yield LikenessService(store, inst.settings.limits)
    finally:
        store.close()


def subject_id(enrolment_id: str) -> str:
    # prefixed: a bare all-digit id would read as a phone number to the log's validator
    return f"likeness:{enrolment_id}"


def template_digest(enrolment: Enrolment, modality: Modality) -> str:
    """SHA-256 of the person's template vector (little-endian float32): commits to it
    without revealing it; the vector itself cannot be recovered from the digest."""
    tpl = enrolment.template(modality)
    assert tpl is not None
    return hashlib.sha256(np.asarray(tpl, dtype="<f4").tobytes()).hexdigest()


def enrolled_entries(enrolment: Enrolment) -> list[Entry]:
    return [
        entries.subject_enrolled(
            subject_id=subject_id(enrolment.id),
            modality=m.value,
            template_sha256=template_digest(enrolment, m),
            enrolment_sha256=enrolment.digest(),
        )
        for m in Modality
        if enrolment.vectors(m)
    ]


def withdrawn_entry(enrolment_id: str, digest: str) -> Entry:
    return entries.subject_withdrawn(subject_id=subject_id(enrolment_id), enrolment_sha256=digest)


@dataclass(frozen=True)
class Deleted:
    enrolment_id: str
    digest: str
    log_index: int | None  # None: the log was busy, the entry is queued


def enrol(
    inst: Instance,
    name: str,
    faces: Sequence[Path] = (),
    voices: Sequence[Path] = (),
    *,
    consent_note: str | None = None,
    consent_recorded_by: str | None = None,
    keep_samples: bool = False,
) -> tuple[Enrolment, list[int | None]]:
    """Enrol (see :meth:`LikenessService.enrol`) and log it; returns the enrolment and
    the log indexes of its entries."""
    with likeness_service(inst) as svc:
        e = svc.enrol(
            name,
            faces,
            voices,
            consent_note=consent_note,
            keep_samples=keep_samples,
            consent_recorded_by=consent_recorded_by,
        )
    return e, [record_event(inst, entry) for entry in enrolled_entries(e)]


def delete(inst: Instance, enrolment_id: str) -> Deleted:
    """Delete the enrolment and everything derived from it; log its withdrawal."""
    with likeness_service(inst) as svc:
        digest = svc.delete(enrolment_id)
    index = record_event(inst, withdrawn_entry(enrolment_id, digest))
    return Deleted(enrolment_id, digest, index)
