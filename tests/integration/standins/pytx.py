"""Stand-ins for the four remote exchanges python-threatexchange 1.2.17 implements, each
an ``http.server`` on 127.0.0.1 in a thread, answering the exact paths, parameters and
authentication the library's clients send, with bodies shaped like the real APIs'.

Where each shape comes from (the bodies here are written for these tests, not copied):

- ThreatExchange: the Graph API's ``/<privacy group>/threat_updates`` reference
  (developers.facebook.com/docs/threat-exchange/reference/apis/threat-updates/): ``data``
  of updates with ``id``, ``indicator``, ``type``, ``last_updated``, ``should_delete`` and
  ``descriptors.data`` (``id``, ``owner.id``, ``status``, ``tags``, ``reactions``), and
  ``paging.next`` as a full URL (carrying the access token, as Graph's does); the fields
  are the ones ``FBThreatExchangeIndicatorRecord.te_threat_updates_fields`` requests.
- NCMEC: the hash sharing API v2 XML (report.cybertip.org/hashsharing/v2/documentation.pdf)
  as in the library's ``clients/ncmec/tests/data.py``: ``queryResult`` with ``images`` /
  ``videos`` (``count``, ``maxTimestamp``), entries ``image``/``video`` (``member@id``,
  ``timestamp``, ``id``, ``classification``, ``fingerprints``) and ``deletedImage`` /
  ``deletedVideo`` tombstones, in the ``https://hashsharing.ncmec.org/hashsharing/v2``
  namespace, behind HTTP basic auth.
- StopNCII: ``FetchHashes`` as in the library's ``clients/stopncii/tests/test_api.py``:
  ``count``, ``nextSetTimestamp``, ``nextPageToken``, ``hasMoreRecords``, ``hashRecords``
  (``lastModtimestamp``, ``hashValue``, ``hashStatus``, ``caseNumbers``, ``signalType``,
  ``CSPFeedbacks``), behind the ``x-functions-key`` and ``Ocp-Apim-Subscription-Key``
  headers.
- Tech Against Terrorism: ``token-auth/tcap/`` answering ``{"user", "token"}`` and
  ``api/hash-list/v2/all`` answering ``count``, ``next``, ``previous``, ``checkpoint``
  (``"<updated_on>,<id>"``) and ``results`` (``hash_digest``, ``algorithm``, ``ideology``,
  ``file_type``, ``deleted``, ``updated_on``, ``created_on``, ``id``), as in the
  library's ``clients/techagainstterrorism`` (its docstrings and tests) and
  terrorismanalytics.org/docs/hash-list-v1.

Feedback (verdicts), as the library's clients send it:

- ThreatExchange: ``POST /<descriptor id>/?access_token=..&reactions=<R>`` (or
  ``reactions_to_remove``), the same pairs form-encoded in the body, answered
  ``{"success": true}`` (developers.facebook.com/docs/threat-exchange/reference/reacting);
  an unknown id is Graph's error 100.
- NCMEC: ``PUT /v2/entries/<esp id>/<entry id>/<PDQ|MD5>/feedback`` with a
  ``feedbackSubmission`` of ``affirmative`` or ``negative/reasonIds/guid``, and
  ``GET /v2/feedback/<type>/reasons`` answering ``availableFeedbackReasons`` of
  ``reason`` elements with ``guid``, ``name`` and ``type`` attributes.
- StopNCII: ``POST /SubmitFeedback`` with its own function key, a JSON body of
  ``count`` and ``hashFeedbacks`` (``hashValue``, ``feedbackValue``, ``tags``).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from xml.sax.saxutils import escape


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes


Answer = tuple[int, str, bytes]


class StandIn:
    """A server on 127.0.0.1; ``fail`` makes every answer that status (an outage)."""

    def __init__(self) -> None:
        self.requests: list[Seen] = []
        self.fail: int | None = None
        # a slow exchange: requests after the first ``hold_after`` wait for ``release``
        self.hold_after: int | None = None
        self.release = threading.Event()
        stand = self

        class Handler(BaseHTTPRequestHandler):
            def _do(self) -> None:
                u = urlsplit(self.path)
                n = int(self.headers.get("Content-Length") or 0)
                seen = Seen(
                    self.command,
                    u.path,
                    parse_qs(u.query, keep_blank_values=True),
                    {k.lower(): v for k, v in self.headers.items()},
                    self.rfile.read(n) if n else b"",
                )
                stand.requests.append(seen)
                if stand.hold_after is not None and len(stand.requests) > stand.hold_after:
                    stand.release.wait(60)
                if stand.fail is not None:
                    code, ctype, body = stand.fail, "application/json", b'{"error": "down"}'
                else:
                    code, ctype, body = stand.answer(seen)
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = _do

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def answer(self, seen: Seen) -> Answer:
        raise NotImplementedError

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def _json(code: int, body: Any) -> Answer:
    return code, "application/json", json.dumps(body).encode()


# --- Meta ThreatExchange (Graph API) -------------------------------------------------


@dataclass
class TxUpdate:
    id: int
    indicator: str
    type: str  # HASH_PDQ, HASH_VIDEO_MD5, HASH_MD5, URI, ...
    last_updated: int
    status: str = "MALICIOUS"  # or NON_MALICIOUS, UNKNOWN
    tags: list[str] = field(default_factory=list)
    owner: int = 111111111
    should_delete: bool = False


class ThreatExchange(StandIn):
    def __init__(self, token: str, privacy_group: int) -> None:
        super().__init__()
        self.token = token
        self.privacy_group = privacy_group
        self.updates: list[TxUpdate] = []
        self.reactions: dict[int, set[str]] = {}  # ours, by descriptor id
        self.reacted: list[tuple[int, str, str]] = []  # (descriptor, field, reaction) taken

    def answer(self, seen: Seen) -> Answer:
        q = {k: v[0] for k, v in seen.query.items()}
        if q.get("access_token") != self.token:
            return _json(
                400,
                {
                    "error": {
                        "message": "Invalid OAuth access token.",
                        "type": "OAuthException",
                        "code": 190,
                    }
                },
            )
        m = re.fullmatch(r"/(\d+)/?", seen.path)
        if seen.method == "POST" and m:
            return self._react(int(m[1]), seen)
        if seen.path.rstrip("/") != f"/{self.privacy_group}/threat_updates":
            return _json(404, {"error": {"message": "Unknown path", "code": 803}})
        start = int(q.get("start_time") or 0)
        limit = int(q.get("limit") or 100)
        after = int(q.get("after") or 0)
        live = sorted(
            (u for u in self.updates if u.last_updated >= start), key=lambda u: u.last_updated
        )
        page = live[after : after + limit]
        body: dict[str, Any] = {"data": [self._json(u) for u in page], "paging": {}}
        if after + limit < len(live):
            nxt = {**q, "after": str(after + limit)}
            body["paging"]["next"] = f"{self.url}{seen.path}?{urlencode(nxt)}"
        return _json(200, body)

    def _react(self, descriptor: int, seen: Seen) -> Answer:
        if descriptor not in {u.id * 10 for u in self.updates if not u.should_delete}:
            return _json(
                400,
                {
                    "error": {
                        "message": f"Unsupported post request. Object with ID "
                        f"'{descriptor}' does not exist",
                        "type": "GraphMethodException",
                        "code": 100,
                    }
                },
            )
        form = {k: v[0] for k, v in parse_qs(seen.body.decode()).items()}
        mine = self.reactions.setdefault(descriptor, set())
        for name in ("reactions", "reactions_to_remove"):
            if name in form:
                if name == "reactions":
                    mine.add(form[name])
                else:
                    mine.discard(form[name])
                self.reacted.append((descriptor, name, form[name]))
        return _json(200, {"success": True})

    def _json(self, u: TxUpdate) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": str(u.id),
            "indicator": u.indicator,
            "type": u.type,
            "last_updated": u.last_updated,
            "should_delete": u.should_delete,
        }
        if not u.should_delete:
            d["descriptors"] = {
                "data": [
                    {
                        "id": str(u.id * 10),
                        "owner": {"id": str(u.owner)},
                        "status": u.status,
                        "tags": u.tags,
                        "reactions": [],
                    }
                ]
            }
        return d


# --- NCMEC hash sharing (XML) ---------------------------------------------------------

NCMEC_NS = "https://hashsharing.ncmec.org/hashsharing/v2"
_TS = "%Y-%m-%dT%H:%M:%SZ"


@dataclass
class NcmecEntry:
    id: str
    member: int
    kind: str  # image | video
    timestamp: int
    fingerprints: dict[str, str] = field(default_factory=dict)  # md5, sha1, pdq, pdna
    classification: str | None = "A1"
    deleted: bool = False


def _iso(ts: int) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime(_TS)


class Ncmec(StandIn):
    def __init__(self, user: str, password: str) -> None:
        super().__init__()
        self.auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.entries: list[NcmecEntry] = []
        # negative feedback reasons offered per fingerprint type: (guid, name)
        self.reasons: dict[str, list[tuple[str, str]]] = {
            "PDQ": [("8c3f2f1e-0000-4000-8000-000000000001", "Not CSAM")],
            "MD5": [("8c3f2f1e-0000-4000-8000-000000000002", "Not CSAM")],
        }
        self.votes: list[tuple[int, str, str, str, str | None]] = []  # taken

    def answer(self, seen: Seen) -> Answer:
        if seen.headers.get("authorization") != self.auth:
            return 401, "text/html", b"<html><body>401 Unauthorized</body></html>"
        fb = re.fullmatch(r"/v2/entries/(\d+)/([^/]+)/(PDQ|MD5)/feedback", seen.path)
        if fb and seen.method == "PUT":
            return self._vote(int(fb[1]), fb[2], fb[3], seen.body)
        rs = re.fullmatch(r"/v2/feedback/([A-Z_]+)/reasons", seen.path)
        if rs and seen.method == "GET":
            items = "".join(
                f'<reason guid="{g}" name="{escape(n)}" type="{rs[1]}"/>'
                for g, n in self.reasons.get(rs[1], [])
            )
            return (
                200,
                "application/xml",
                f'<?xml version="1.0" encoding="UTF-8"?><feedbackReasonsResponse '
                f'xmlns="{NCMEC_NS}"><availableFeedbackReasons>{items}'
                f"</availableFeedbackReasons></feedbackReasonsResponse>".encode(),
            )
        if seen.path != "/v2/entries":
            return 404, "text/html", b"<html><body>404</body></html>"
        q = {k: v[0] for k, v in seen.query.items()}
        # the library formats the range with datetime.fromtimestamp (local time) and a
        # "Z"; the tests run in UTC, where that is the same instant
        lo = dt.datetime.strptime(q["from"], _TS).replace(tzinfo=dt.UTC).timestamp()
        hi = dt.datetime.strptime(q["to"], _TS).replace(tzinfo=dt.UTC).timestamp()
        hits = [e for e in self.entries if lo <= e.timestamp <= hi]
        parts = [
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<queryResult xmlns="{NCMEC_NS}">'
        ]
        for kind in ("image", "video"):
            mine = [e for e in hits if e.kind == kind]
            if not mine:
                continue
            top = max(e.timestamp for e in mine)
            parts.append(f'<{kind}s count="{len(mine)}" maxTimestamp="{_iso(top)}">')
            for e in mine:
                tag = ("deleted" + kind.capitalize()) if e.deleted else kind
                parts.append(
                    f'<{tag}><member id="{e.member}">Member {e.member}</member>'
                    f"<timestamp>{_iso(e.timestamp)}</timestamp><id>{escape(e.id)}</id>"
                )
                if not e.deleted:
                    if e.classification:
                        parts.append(f"<classification>{e.classification}</classification>")
                    parts.append("<fingerprints>")
                    parts += [f"<{k}>{v}</{k}>" for k, v in e.fingerprints.items()]
                    parts.append("</fingerprints>")
                parts.append(f"</{tag}>")
            parts.append(f"</{kind}s>")
        parts.append("</queryResult>")
        return 200, "application/xml", "".join(parts).encode()

    def _vote(self, esp: int, entry: str, fp: str, body: bytes) -> Answer:
        live = {(e.member, e.id) for e in self.entries if not e.deleted}
        if (esp, entry) not in live:
            return 404, "text/html", b"<html><body>404</body></html>"
        root = ET.fromstring(body)
        if root.tag != f"{{{NCMEC_NS}}}feedbackSubmission" or len(root) != 1:
            return 400, "text/html", b"<html><body>400 bad feedbackSubmission</body></html>"
        vote = root[0].tag.partition("}")[2]
        guid = root[0].findtext(f"{{{NCMEC_NS}}}reasonIds/{{{NCMEC_NS}}}guid")
        known = {g for g, _ in self.reasons.get(fp, [])}
        if vote not in ("affirmative", "negative") or (vote == "negative") != (guid in known):
            return 400, "text/html", b"<html><body>400 bad vote</body></html>"
        self.votes.append((esp, entry, fp, vote, guid))
        return 200, "application/xml", b'<?xml version="1.0" encoding="UTF-8"?><ok/>'


# --- StopNCII -------------------------------------------------------------------------


@dataclass
class NciiRecord:
    hash_value: str
    last_mod: int
    signal_type: str = "ImagePDQ"  # VideoMD5, URL, Text, VideoTMK
    status: str = "Active"  # Received, Withdrawn, Deleted
    feedbacks: list[dict[str, Any]] = field(default_factory=list)


class StopNcii(StandIn):
    def __init__(
        self, function_key: str, subscription_key: str, feedback_key: str | None = None
    ) -> None:
        super().__init__()
        self.keys = (function_key, subscription_key)
        self.feedback_key = feedback_key  # SubmitFeedback's own function key
        self.records: list[NciiRecord] = []
        self.feedback: list[dict[str, Any]] = []  # hashFeedbacks taken

    def answer(self, seen: Seen) -> Answer:
        got = (seen.headers.get("x-functions-key"), seen.headers.get("ocp-apim-subscription-key"))
        if seen.path == "/SubmitFeedback" and seen.method == "POST":
            if self.feedback_key is None or got != (self.feedback_key, self.keys[1]):
                return _json(
                    401,
                    {"statusCode": 401, "message": "Access denied due to invalid key."},
                )
            body = json.loads(seen.body)
            items = body["hashFeedbacks"]
            if body["count"] != len(items) or not all(
                set(i) == {"hashValue", "feedbackValue", "tags"} for i in items
            ):
                return _json(400, {"statusCode": 400, "message": "Bad request"})
            self.feedback += items
            return _json(200, {"count": len(items)})
        if got != self.keys:
            return _json(
                401,
                {"statusCode": 401, "message": "Access denied due to invalid subscription key."},
            )
        if seen.path != "/FetchHashes":
            return _json(404, {"statusCode": 404, "message": "Resource not found"})
        start = int(seen.query["startTimestamp"][0])
        hits = sorted((r for r in self.records if r.last_mod >= start), key=lambda r: r.last_mod)
        return _json(
            200,
            {
                "count": len(hits),
                "nextSetTimestamp": (hits[-1].last_mod + 1) if hits else start,
                "nextPageToken": None,
                "hasMoreRecords": False,
                "hashRecords": [
                    {
                        "lastModtimestamp": r.last_mod,
                        "hashValue": r.hash_value,
                        "hashStatus": r.status,
                        "caseNumbers": {f"case-{i}": r.status for i in range(2)},
                        "signalType": r.signal_type,
                        "CSPFeedbacks": r.feedbacks,
                    }
                    for r in hits
                ],
            },
        )


# --- Tech Against Terrorism hash list -------------------------------------------------


@dataclass
class TatEntry:
    id: int
    hash_digest: str
    algorithm: str  # PDQ | MD5 | SHA256 ...
    updated_on: float
    file_type: str = "jpg"
    ideology: str = "islamist"
    deleted: bool = False


class Tat(StandIn):
    def __init__(self, user: str, password: str) -> None:
        super().__init__()
        self.login = (user, password)
        self.jwt = "eyJhbGciOiJIUzI1NiJ9.standin.sig"
        self.entries: list[TatEntry] = []

    def answer(self, seen: Seen) -> Answer:
        if seen.path == "/token-auth/tcap/" and seen.method == "POST":
            form = {k: v[0] for k, v in parse_qs(seen.body.decode()).items()}
            if (form.get("username"), form.get("password")) != self.login:
                return _json(
                    400, {"non_field_errors": ["Unable to log in with provided credentials."]}
                )
            return _json(200, {"user": {"username": self.login[0]}, "token": self.jwt})
        if seen.path != "/api/hash-list/v2/all":
            return _json(404, {"detail": "Not found."})
        if seen.headers.get("authorization") != f"Bearer {self.jwt}":
            return _json(401, {"detail": "Authentication credentials were not provided."})
        after = seen.query.get("after", [""])[0]
        mark = (0.0, 0)
        if after:
            ts, _, ident = after.partition(",")
            mark = (float(ts), int(ident))
        hits = sorted(
            (e for e in self.entries if (e.updated_on, e.id) > mark),
            key=lambda e: (e.updated_on, e.id),
        )
        return _json(
            200,
            {
                "count": len(hits),
                "next": None,
                "previous": None,
                "checkpoint": f"{hits[-1].updated_on},{hits[-1].id}" if hits else "",
                "results": [
                    {
                        "hash_digest": e.hash_digest,
                        "algorithm": e.algorithm,
                        "ideology": e.ideology,
                        "file_type": e.file_type,
                        "deleted": e.deleted,
                        "updated_on": e.updated_on,
                        "created_on": "2025-03-03 23:05:22,587",
                        "id": e.id,
                    }
                    for e in hits
                ],
            },
        )


def running(s: StandIn) -> Iterator[StandIn]:
    with s:
        yield s
