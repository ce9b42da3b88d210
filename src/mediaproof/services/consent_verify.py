"""Consent records in verify: which record a file's Content Credentials name
(``org.mediaproof.consent``) and what state that record is in now, for each enrolled
person the file looks like. Split from :mod:`mediaproof.services.consent` (the records
themselves: grant, revoke, check)."""

from __future__ import annotations

from typing import Any

from mediaproof.analysis.evidence import AnalysisContext, Evidence, EvidenceStatus
from mediaproof.errors import NotFoundError
from mediaproof.services.consent import MAX_LIST, Consent, _now, get, grant_log_index
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos import AssetRepository

CONSENT_LIMITS = (
    "This reports consent records only: which record a file names and what state that "
    "record is in now. It says nothing about whether the file is real, edited or "
    "generated. A record is named by a generation tool's signed output; a file that "
    "names none (most photos, recordings and edits) is not suspect for that. A named "
    "record counts only in valid Content Credentials of a file this instance signed for "
    "the tool that holds the record."
)
TRUSTED_STATES = ("trusted", "valid")


def _named(data: dict[str, Any] | None) -> list[tuple[str, int | None]]:
    """(record id, log index) named by an org.mediaproof.consent assertion's data."""
    out: list[tuple[str, int | None]] = []
    for item in (data or {}).get("consent_records") or []:
        if isinstance(item, str):
            out.append((item, None))
        elif isinstance(item, dict) and isinstance(item.get("id"), str):
            idx = item.get("log_index")
            out.append((item["id"], idx if isinstance(idx, int) else None))
    return out[:MAX_LIST]


class ConsentAnalyzer:
    """After provenance and likeness: for each enrolled person the file looks like,
    "consent record valid / expired / revoked / not yet valid / none" from the consent
    record the file's Content Credentials name (``org.mediaproof.consent``), and the
    state of every record named. Without the likeness analyzer (anonymous verify where
    the operator keeps likeness private) only the named records are reported, without
    names of people."""

    name = "consent"

    def __init__(self, inst: Instance) -> None:
        self.inst = inst

    def _signed_for(self, ctx: AnalysisContext) -> int | None:
        """The tool account this exact file was signed and registered for here (an output
        of ``POST /api/v1/screen/output``), else None."""
        reg = ctx.previous.get("registry")
        asset_id = (reg.data or {}).get("asset_id") if reg is not None else None
        if reg is None or reg.status is not EvidenceStatus.FOUND or not isinstance(asset_id, int):
            return None
        with self.inst.db.session() as s:
            publisher = AssetRepository(s).publisher(asset_id) or ""
        tool = publisher.removeprefix("tool:")
        return int(tool) if publisher.startswith("tool:") and tool.isdigit() else None

    def analyze(self, ctx: AnalysisContext) -> Evidence:
        prov = ctx.previous.get("provenance")
        pdata = prov.data if prov is not None else {}
        assertion = pdata.get("consent_assertion")
        readable = pdata.get("state") in TRUSTED_STATES
        named = _named(assertion) if readable else []
        like = ctx.previous.get("likeness")
        matches: list[dict[str, Any]] = []
        if like is not None and like.status is EvidenceStatus.FOUND:
            matches = list((like.data or {}).get("matches") or [])
        if not matches and not named and not assertion:
            return Evidence(
                self.name,
                EvidenceStatus.NOT_APPLICABLE,
                "No enrolled person's likeness was found and the file names no consent "
                "record.",
                {"people": [], "named_records": []},
                CONSENT_LIMITS,
            )
        now = _now()
        signed_for = self._signed_for(ctx)
        records: list[dict[str, Any]] = []
        for cid, idx in named:
            try:
                c: Consent | None = get(self.inst, cid)
            except NotFoundError:
                c = None
            status = "unknown"
            if c is not None:
                # anyone can write the assertion into their own credentials: a record
                # counts only in a file this instance signed for the tool holding it
                status = c.status(now) if c.grantee_id == signed_for else "unconfirmed"
            records.append(
                {
                    "id": cid,
                    "status": status,
                    "log_index": grant_log_index(self.inst, c) if c else idx,
                    "enrolment_id": c.enrolment_id if c else None,
                }
            )
        people: list[dict[str, Any]] = []
        sentences: list[str] = []
        seen: set[str] = set()
        for m in matches:
            eid = str(m.get("enrolment_id"))
            if eid in seen:
                continue  # face and voice of one person: one line
            seen.add(eid)
            mine = [r for r in records if r["enrolment_id"] == eid]
            best = next((r for r in mine if r["status"] == "valid"), mine[0] if mine else None)
            state = best["status"] if best else "none"
            people.append(
                {
                    "person": m.get("name"),
                    "enrolment_id": eid,
                    "consent": state,
                    "consent_id": best["id"] if best else None,
                    "log_index": best["log_index"] if best else None,
                }
            )
            if best is not None and state == "unconfirmed":
                sentences.append(
                    f"Looks like {m.get('name')}: the file names consent record {best['id']}, "
                    "but this instance did not sign this file for the tool that holds that "
                    "record, so it is not confirmed."
                )
            elif best is None:
                sentences.append(
                    f"Looks like {m.get('name')}: consent record none (the file names no "
                    "consent record for this person; most files name none, and that says "
                    "nothing about how the file was made)."
                )
            else:
                where = (
                    f", log entry {best['log_index']}" if best["log_index"] is not None else ""
                )
                sentences.append(
                    f"Looks like {m.get('name')}: consent record {state.replace('_', ' ')} "
                    f"({best['id']}{where})."
                )
        shown = {p["enrolment_id"] for p in people}
        for r in records:
            if r["enrolment_id"] in shown:
                continue
            where = f", log entry {r['log_index']}" if r["log_index"] is not None else ""
            if r["status"] == "unknown":
                sentences.append(
                    f"The file names consent record {r['id']}, which this instance does not "
                    "hold."
                )
            elif r["status"] == "unconfirmed":
                sentences.append(
                    f"The file names consent record {r['id']}, but this instance did not sign "
                    "this file for the tool that holds that record, so it is not confirmed."
                )
            else:
                sentences.append(
                    f"The file names consent record {r['id']} "
                    f"({r['status'].replace('_', ' ')}{where})."
                )
        if assertion and not readable:
            sentences.append(
                "The file names a consent record, but its Content Credentials are not valid, "
                "so the record it names was not read."
            )
        public = [{k: v for k, v in r.items() if k != "enrolment_id"} for r in records]

        return Evidence(
            self.name,
            EvidenceStatus.FOUND,
            " ".join(sentences),
            {"people": people, "named_records": public},
            CONSENT_LIMITS,
        )
