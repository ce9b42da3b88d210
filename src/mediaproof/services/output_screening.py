"""Output screening: what a generation tool made, checked before it hands it out.

The generated image, audio or video goes through the likeness matcher against everyone
enrolled here. Each enrolled person it shows (face) or sounds like (voice) needs a valid
consent record (services.consent) for this tool, that modality and the stated use; a
match without one is **held** (recorded like a blocked prompt, per tool and user_ref),
otherwise the output is **allowed**. Prompt screening reads words; this catches what the
words hid.

On allow, when the tool asks (``sign``), the output is signed with the instance's C2PA
key as ``trainedAlgorithmicMedia`` with the tool as the software agent, watermarked
where the format allows, and registered (a log leaf, like any registration); a custom
assertion ``org.mediaproof.consent`` names the consent records the output relied on.
"""

from __future__ import annotations

import contextvars
import json
import re
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediaproof.errors import NotFoundError, UsageError
from mediaproof.likeness.service import CheckResult
from mediaproof.media.ingest import MediaInfo
from mediaproof.services import consent as consents
from mediaproof.services.instance import Instance
from mediaproof.services.jobs import Job, JobRunner
from mediaproof.services.likeness import has_likeness_data, likeness_service
from mediaproof.services.likeness_check import lane
from mediaproof.services.public_verify import inspect_upload, runs_as_job
from mediaproof.services.publishing import SignRequest, sign_and_keep
from mediaproof.services.releases import SignedFile, signed_file
from mediaproof.services.screening import (
    BANNED,
    USER_REF,
    active_ban,
    apply_ban_rule,
    event_log_index,
    prompt_hmac,
    record_event_in,
)
from mediaproof.services.transparency import land_staged
from mediaproof.storage.sql.repos import AssetRepository
from mediaproof.storage.sql.repos_screening import ScreeningRepository

POLICY_VERSION = "output-2026-12-06.1"
ALLOW = "allow"
HOLD = "hold"
CONSENT_ASSERTION = "org.mediaproof.consent"
DEFAULT_USE = "unspecified"  # only a record permitting "any" covers an unstated use
TERRITORY = re.compile(r"^[A-Za-z]{2}$")


@dataclass(frozen=True)
class Tool:
    id: int  # the toolmaker account
    name: str  # its username: the generator named in signed outputs


@dataclass(frozen=True)
class OutputRequest:
    user_ref: str | None = None
    use: str = DEFAULT_USE
    territory: str | None = None
    sign: bool = False


def parse_request(fields: dict[str, str]) -> OutputRequest:
    """The form fields of ``POST /api/v1/screen/output`` (all optional)."""
    user_ref = fields.get("user_ref") or None
    if user_ref is not None and not USER_REF.match(user_ref):
        raise UsageError(
            "user_ref must be a pseudonymous id of 1-128 letters, digits or . _ : -",
            hint="never an e-mail address or a name",
        )
    use = (fields.get("use") or DEFAULT_USE).strip().lower()
    if not consents.USE.match(use):
        raise UsageError("use: a slug of 2-40 a-z 0-9 _ - (e.g. advertising, film, satire)")
    territory = (fields.get("territory") or "").strip() or None
    if territory is not None:
        if not TERRITORY.match(territory):
            raise UsageError("territory: an ISO 3166-1 alpha-2 country code (DE, FR)")
        territory = territory.upper()
    raw_sign = (fields.get("sign") or "false").strip().lower()
    if raw_sign not in ("true", "false", "1", "0", "yes", "no"):
        raise UsageError("sign: true or false")
    return OutputRequest(user_ref, use, territory, raw_sign in ("true", "1", "yes"))


def _check(inst: Instance, path: Path, media: MediaInfo) -> CheckResult | None:
    if not has_likeness_data(inst):
        return None  # nobody was ever enrolled here: no store or key is created
    with likeness_service(inst) as svc:
        return svc.check(path, media)


def screen_output(
    inst: Instance, path: Path, tool: Tool, req: OutputRequest, media: MediaInfo | None = None
) -> dict[str, Any]:
    """Screen one generated file; sign and register it on allow when asked."""
    media = media or inspect_upload(inst, path)
    if req.user_ref is not None and active_ban(inst, tool.name, req.user_ref) is not None:
        reasons_b = [{"rule": BANNED, "detail": "this user is banned from this tool"}]
        return {
            "decision": HOLD,
            "policy_version": POLICY_VERSION,
            "reasons": reasons_b,
            "checked": None,
            "event_id": (eid := _record(inst, tool, req, media.sha256, reasons_b)),
            "output": None,
            "user_banned": True,
            "log": _landed(inst, eid),
        }
    result = _check(inst, path, media)
    reasons: list[dict[str, Any]] = []
    held = False
    used: list[str] = []
    for m in result.matches if result else []:
        c = consents.check(inst, tool.id, m.enrolment_id, m.modality.value, req.use, req.territory)
        reason: dict[str, Any] = {
            "rule": "output.likeness",
            "person": m.name,
            "person_id": f"enrolled:{m.enrolment_id}",
            "modality": m.modality.value,
            "score": round(m.score, 4),
            "threshold": round(m.threshold, 4),
            "consent": c.status,
            "consent_id": c.consent.id if c.consent else None,
        }
        if c.why:
            reason["consent_detail"] = c.why
        reasons.append(reason)
        if c.status == "valid" and c.consent is not None:
            if c.consent.id not in used:
                used.append(c.consent.id)
        else:
            held = True
    decision = HOLD if held else ALLOW
    out: dict[str, Any] = {
        "decision": decision,
        "policy_version": POLICY_VERSION,
        "reasons": reasons,
        "checked": _checked(result),
        "event_id": None,
        "output": None,
        "user_banned": False,
        "log": None,
    }
    if held:
        out["event_id"] = _record(inst, tool, req, media.sha256, reasons)
        out["user_banned"] = apply_ban_rule(inst, tool.name, req.user_ref)
        out["log"] = _landed(inst, out["event_id"])
    elif req.sign:
        out["output"] = _sign(inst, path, media, tool, used)
    return out


def _landed(inst: Instance, event_id: int) -> dict[str, Any]:
    """Land the staged leaves (an output's screening already took the matcher's time;
    a log that cannot be written now keeps them staged) and say where the hold's is."""
    land_staged(inst)
    with inst.db.session() as s:
        row = ScreeningRepository(s).event(event_id)
        assert row is not None
        return {"type": "screen.decided", "index": event_log_index(inst, s, row)}


def _checked(result: CheckResult | None) -> dict[str, Any]:
    """What the matcher looked at, so a tool can tell "nobody matched" from "nothing
    could be compared" (no face found, no speech, nobody enrolled)."""
    if result is None:
        return {"enrolled_people": 0, "compared": []}
    d = result.as_dict()
    return {k: v for k, v in d.items() if k != "matches"}


def _record(
    inst: Instance, tool: Tool, req: OutputRequest, sha256: str, reasons: list[dict[str, Any]]
) -> int:
    """A held output, in the record of blocks and reviews: a keyed hash of the file's
    digest (the same output held twice is recognisable; the file is not kept)."""
    kept = [{k: v for k, v in r.items() if k != "person"} for r in reasons]
    with inst.db.session() as s:  # the row and its staged log leaf commit together
        return record_event_in(
            s,
            inst,
            at=consents._now(),
            tool=tool.name[:100],
            user_ref=req.user_ref,
            decision=HOLD,
            policy_version=POLICY_VERSION,
            prompt_hmac=prompt_hmac(inst, "output:sha256:" + sha256),
            prompt_text=None,
            reasons=json.dumps(kept, ensure_ascii=False),
        )


def _sign(
    inst: Instance, path: Path, media: MediaInfo, tool: Tool, consent_ids: list[str]
) -> dict[str, Any]:
    assertions: dict[str, Any] = {}
    if consent_ids:
        # ids and log indexes only: the records' content stays here, the log proves them
        assertions[CONSENT_ASSERTION] = {
            "consent_records": [
                {"id": cid, "log_index": consents.grant_log_index(inst, consents.get(inst, cid))}
                for cid in consent_ids
            ],
            "policy": POLICY_VERSION,
        }
    pub = sign_and_keep(  # the tool downloads the signed copy from the blobs
        inst,
        media.extension,
        lambda dest: SignRequest(
            src=path,
            dest=dest,
            title=f"Generated with {tool.name}",
            author=None,
            source_type="trainedAlgorithmicMedia",
            assertions=assertions,
            publisher=f"tool:{tool.id}",
            software_agent=tool.name,
        ),
    )
    asset = pub.asset
    return {
        "asset_id": asset.id,
        "sha256": asset.sha256,
        "mime": asset.mime,
        "watermarked": asset.watermark_id is not None,
        "consent_records": consent_ids,
        "download_url": f"/api/v1/screen/outputs/{asset.id}/file",
        "page_url": f"/assets/{asset.id}",
    }


def output_file(inst: Instance, tool: Tool, asset_id: int) -> SignedFile:
    """A signed output, for the tool that made it (another tool's is "not found")."""
    with inst.db.session() as s:
        publisher = AssetRepository(s).publisher(asset_id)
    if publisher != f"tool:{tool.id}":
        raise NotFoundError(f"no signed output {asset_id} of this tool")
    return signed_file(inst, asset_id)


def screen_or_queue(
    inst: Instance,
    jobs: JobRunner,
    path: Path,
    take_ownership: Callable[[], Path],
    tool: Tool,
    req: OutputRequest,
) -> dict[str, Any] | Job:
    """The answer now for images and short audio; a queued :class:`Job` for video and
    long audio (as verify does), whose result is the same answer."""
    media = inspect_upload(inst, path)
    if not runs_as_job(inst, media):
        return screen_output(inst, path, tool, req, media)
    owned = take_ownership()
    try:
        return jobs.submit(
            "screen.output",
            lambda _progress: screen_output(inst, owned, tool, req, media),
            cleanup=lambda: owned.unlink(missing_ok=True),
        )
    except BaseException:
        owned.unlink(missing_ok=True)  # not queued: nobody else will delete it
        raise


def submit(
    inst: Instance,
    jobs: JobRunner,
    path: Path,
    take_ownership: Callable[[], Path],
    tool: Tool,
    req: OutputRequest,
) -> Future[dict[str, Any] | Job]:
    """:func:`screen_or_queue` on the likeness lane (face and voice inference must not
    hold the server's request threads); await with ``asyncio.wrap_future``."""
    ctx = contextvars.copy_context()
    return lane().submit(ctx.run, screen_or_queue, inst, jobs, path, take_ownership, tool, req)
