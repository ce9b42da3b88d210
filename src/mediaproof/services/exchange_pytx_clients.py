"""python-threatexchange's own exchange clients, built for one source and driven here:
``fetch_iter`` from the stored checkpoint, ``naive_convert_to_signal_type`` into PDQ and
video MD5 signals, with the ids a verdict needs kept beside each signal (verdicts go
through the clients' own feedback calls: services/exchange_pytx_verdicts.py). Imported
only when a ``pytx:`` source is used (the ``threatexchange`` package is the ``pytx``
extra).

Where the library fixes a host, only the base URL is replaced at the boundary, and its
fetch logic runs as written:

- ``fb_threatexchange``: its client takes ``endpoint_override``.
- ``ncmec``: the client's base URL comes from an ``NCMECEnvironment``; ``get_client`` is
  overridden to set the operator's base URL on the library's client.
- ``tat``: the client's ``BASE_URL`` is a class constant; ``get_client`` sets it on the
  library's client.
- ``local_file``: its ``report_opinion`` in 1.2.17 opens the file with mode ``"wta"``,
  which Python refuses (ValueError), so no verdict could ever be written; it is re-stated
  with mode ``"a"`` and otherwise the same rules (a positive opinion without tags only).
- ``stop_ncii``: the client takes ``base_url_override``. Its ``fetch_iter`` in 1.2.17
  never deletes (it compares the hash *value* with the Withdrawn/Deleted statuses), so
  ``fetch_iter`` is re-stated with the record's ``hashStatus`` compared instead, on the
  library's own client and record mapping.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dacite
import requests
from threatexchange.exchanges import fetch_state as state
from threatexchange.exchanges.clients.fb_threatexchange.api import ThreatExchangeAPI
from threatexchange.exchanges.clients.ncmec import hash_api as ncmec_api
from threatexchange.exchanges.clients.stopncii import api as stopncii_api
from threatexchange.exchanges.clients.techagainstterrorism import api as tat_api
from threatexchange.exchanges.collab_config import (
    CollaborationConfigBase,
    CollaborationConfigWithDefaults,
)
from threatexchange.exchanges.impl.fb_threatexchange_api import (
    FBThreatExchangeCollabConfig,
    FBThreatExchangeCredentials,
    FBThreatExchangeSignalExchangeAPI,
)
from threatexchange.exchanges.impl.file_api import (
    FileCollaborationConfig,
    LocalFileSignalExchangeAPI,
)
from threatexchange.exchanges.impl.ncmec_api import (
    NCMECCollabConfig,
    NCMECCredentials,
    NCMECSignalExchangeAPI,
)
from threatexchange.exchanges.impl.stop_ncii_api import (
    StopNCIICheckpoint,
    StopNCIICredentials,
    StopNCIISignalExchangeAPI,
    StopNCIISignalMetadata,
    _get_delta_mapping,
)
from threatexchange.exchanges.impl.techagainstterrorism_api import (
    TATCredentials,
    TATSignalExchangeAPI,
)
from threatexchange.exchanges.signal_exchange_api import AnySignalExchangeAPI
from threatexchange.signal_type.md5 import VideoMD5Signal
from threatexchange.signal_type.pdq.signal import PdqSignal
from threatexchange.signal_type.signal_base import SignalType as PytxSignalType

from mediaproof.errors import UsageError
from mediaproof.exchange.models import SignalType, check_value
from mediaproof.exchange.sources import (
    PytxExchange,
    SourceRecord,
    SourceSignal,
    category_of,
    clean_tags,
    record_key,
)

SIGNAL_TYPES: Sequence[type[PytxSignalType]] = (PdqSignal, VideoMD5Signal)
_BY_NAME: Mapping[str, type[PytxSignalType]] = {t.get_name(): t for t in SIGNAL_TYPES}


class TryLater(Exception):
    """The exchange answered that it cannot take this now (overloaded, rate limited)."""


# errors worth retrying later (the exchange down, slow or refusing for now); an HTTP
# error answer is sorted by its status (services/exchange_sources.py)
TRANSIENT = (requests.RequestException, OSError, TimeoutError, TryLater)


class _NCMEC(NCMECSignalExchangeAPI):
    base_url = ""

    def get_client(self, environment: ncmec_api.NCMECEnvironment) -> ncmec_api.NCMECHashAPI:
        client = super().get_client(environment)
        client._base_url = self.base_url  # the operator's, not the environment's host
        return client


class _TAT(TATSignalExchangeAPI):
    base_url = ""

    def get_client(self) -> tat_api.TATHashListAPI:
        client = super().get_client()
        setattr(client, "BASE_URL", self.base_url + "/")  # noqa: B010 (a class constant)
        return client


class _LocalFile(LocalFileSignalExchangeAPI):
    def report_opinion(
        self, s_type: type[PytxSignalType], signal: str, opinion: state.SignalOpinion
    ) -> None:
        if opinion.category != state.SignalOpinionCategory.POSITIVE_CLASS or opinion.tags:
            raise NotImplementedError
        path = Path(self.collab.filename)
        with path.open("rb") as rf:
            size = rf.seek(0, os.SEEK_END)
            newline = size == 0 or (rf.seek(-1, os.SEEK_END) >= 0 and rf.read(1) == b"\n")
        with path.open("a", encoding="utf-8") as wf:
            wf.write(f"{'' if newline else chr(10)}{s_type.get_name()} {signal}\n")


class _StopNCII(StopNCIISignalExchangeAPI):
    def fetch_iter(
        self,
        _supported_signal_types: Sequence[type[PytxSignalType]],
        checkpoint: StopNCIICheckpoint | None,
    ) -> Iterator[state.FetchDelta[tuple[str, str], StopNCIISignalMetadata, StopNCIICheckpoint]]:
        start = stopncii_api.StopNCIIAPI.DEFAULT_START_TIME
        if checkpoint is not None:
            start = checkpoint.update_time
        gone = (stopncii_api.StopNCIICaseStatus.Withdrawn, stopncii_api.StopNCIICaseStatus.Deleted)
        for result in self.api.fetch_hashes_iter(start_timestamp=start):
            updates: dict[tuple[str, str], StopNCIISignalMetadata | None] = {}
            for r in result.hashRecords:
                key, meta = _get_delta_mapping(r)
                if key[0]:
                    updates[key] = None if r.hashStatus in gone else meta
            yield state.FetchDelta(updates, StopNCIICheckpoint.from_stopncii_fetch(result))


@dataclass
class Client:
    exchange: PytxExchange
    api: AnySignalExchangeAPI
    collab: CollaborationConfigBase
    secrets: tuple[str, ...]  # what error messages must never carry
    options: Mapping[str, Any] = dataclasses.field(default_factory=dict)  # source config
    feedback_key: str | None = None  # StopNCII's SubmitFeedback function key, if given


def _credentials(exchange: PytxExchange, text: str) -> Any:
    cls: Any = {
        PytxExchange.FB_THREATEXCHANGE: FBThreatExchangeCredentials,
        PytxExchange.NCMEC: NCMECCredentials,
        PytxExchange.STOP_NCII: StopNCIICredentials,
        PytxExchange.TAT: TATCredentials,
    }[exchange]
    first, *more = text.splitlines() or [""]
    # only StopNCII takes a second line: its SubmitFeedback function key
    extra_ok = exchange is PytxExchange.STOP_NCII and len(more) <= 1
    try:
        creds = cls._from_str(first.strip())  # the library's own format
        ok = creds is not None and creds._are_valid() and (not more or extra_ok)
        ok = ok and all(x.strip() and "," not in x for x in more)
    except (ValueError, TypeError):
        ok = False
    if not ok:
        from mediaproof.exchange.sources import CREDENTIALS_FORMAT

        raise UsageError(
            f"the credentials file is not in {exchange.kind}'s format",
            hint=f"one line: {CREDENTIALS_FORMAT[exchange]}",
        )
    return creds


def build(
    exchange: PytxExchange,
    name: str,
    base_url: str,
    config: Mapping[str, Any],
    credentials: str | None,
) -> Client:
    """The library's exchange for one source, authenticated with the operator's
    credentials (never found by the library in the environment or home directory)."""
    if exchange is PytxExchange.LOCAL_FILE:
        fc = FileCollaborationConfig(
            name=name, filename=str(config["filename"]), signal_type=config.get("signal_type")
        )
        return Client(exchange, _LocalFile.for_collab(fc), fc, ())
    creds = _credentials(exchange, credentials or "")
    extra = (credentials or "").splitlines()[1:]
    if exchange is PytxExchange.FB_THREATEXCHANGE:
        token = str(creds.api_token)
        fb = FBThreatExchangeCollabConfig(name=name, privacy_group=int(config["privacy_group"]))
        api = FBThreatExchangeSignalExchangeAPI(
            ThreatExchangeAPI(token, endpoint_override=base_url), fb
        )
        return Client(exchange, api, fb, (token, token.partition("|")[2]), config)
    if exchange is PytxExchange.NCMEC:
        env = next(
            (e for e in ncmec_api.NCMECEnvironment if e.value == base_url),
            ncmec_api.NCMECEnvironment.Industry,  # nominal: the base URL below is used
        )
        nc = NCMECCollabConfig(
            name=name, environment=env, only_esp_ids=set(config.get("only_esp_ids", ()))
        )
        napi = _NCMEC(nc, creds.user, creds.password)
        napi.base_url = base_url
        return Client(exchange, napi, nc, (creds.user, creds.password), config)
    if exchange is PytxExchange.STOP_NCII:
        sc = CollaborationConfigBase(name=name, api=exchange.value, enabled=True)
        fkey = extra[0].strip() if extra else None
        sapi = _StopNCII(
            sc,
            stopncii_api.StopNCIIAPI(
                creds.subscription_key,
                creds.fetch_function_key,
                {stopncii_api.StopNCIIEndpoint.SubmitFeedback: fkey} if fkey else None,
                base_url_override=base_url,
            ),
        )
        keys = (creds.subscription_key, creds.fetch_function_key, *([fkey] if fkey else []))
        return Client(exchange, sapi, sc, keys, config, fkey)
    tc = CollaborationConfigWithDefaults(name=name, api=exchange.value)
    tapi = _TAT(username=creds.username, password=creds.password)
    tapi.base_url = base_url
    return Client(exchange, tapi, tc, (creds.username, creds.password))


@dataclass
class Fetched:
    records: list[SourceRecord]
    checkpoint: str | None  # the library's checkpoint after the last batch taken, as JSON
    complete: bool  # the whole data set: records not in it are gone
    skipped: int  # records that gave no pdq or video_md5 signal
    batches: int


def _load_checkpoint(api: AnySignalExchangeAPI, text: str | None) -> Any:
    if not text:
        return None
    cp = dacite.from_dict(api.get_checkpoint_cls(), json.loads(text))
    return None if cp.is_stale() else cp


def _owner(exchange: PytxExchange, metadata: Any) -> str:
    ids: set[str] = set()
    for o in metadata.get_as_opinions():
        for attr in ("esp_id", "owner_app_id"):
            v = getattr(o, attr, None)
            if v is not None and v >= 0:
                ids.add(str(v))
    for f in getattr(metadata, "feedbacks", ()):
        if getattr(f, "source", ""):
            ids.add(str(f.source))
    who = f" (contributors {', '.join(sorted(ids)[:10])})" if ids else ""
    return f"{exchange.value}{who}"[:200]


def _ref(client: Client, value: Any, signal_type: str, metadata: Any) -> str:
    """The exchange's own ids a verdict on this signal of this record goes to."""
    if client.exchange is PytxExchange.FB_THREATEXCHANGE:
        # every other member's descriptor of the indicator (a reaction on our own, or on
        # an opinion known only from a reaction, means nothing)
        ids = sorted(
            {
                int(o.descriptor_id)
                for o in metadata.get_as_opinions()
                if not o.is_mine and o.descriptor_id is not None and o.descriptor_id >= 0
            }
        )
        return json.dumps({"descriptors": ids}) if ids else ""
    if client.exchange is PytxExchange.NCMEC:
        fp = (
            ncmec_api.FingerprintType.pdq if signal_type == "pdq" else ncmec_api.FingerprintType.md5
        )
        return json.dumps(
            {"esp_id": int(value.member_id), "entry_id": str(value.id), "fingerprint": fp.value},
            sort_keys=True,
        )
    return ""


def convert(client: Client, key: Any, value: Any) -> tuple[SourceRecord, bool]:
    """One fetched record as the signals it gives (the library's conversion), and whether
    it was skipped: live but with no pdq or video_md5 signal."""
    rk = record_key(key)
    if value is None or getattr(value, "deleted", False):
        return SourceRecord(rk, ()), False
    api_cls = type(client.api)
    converted = api_cls.naive_convert_to_signal_type(SIGNAL_TYPES, client.collab, {key: value})
    signals: list[SourceSignal] = []
    for st, by_value in converted.items():
        ours = SignalType(st.get_name())
        for signal_str, metadata in by_value.items():
            try:
                v = check_value(ours, signal_str)
            except UsageError:
                continue
            agg = metadata.get_as_aggregate_opinion()
            signals.append(
                SourceSignal(
                    ours.value,
                    v,
                    category_of(agg.category.name).value,
                    clean_tags(agg.tags, extra=[f"{client.exchange.value}"]),
                    _owner(client.exchange, metadata),
                    _ref(client, value, ours.value, metadata),
                )
            )
    return SourceRecord(rk, tuple(signals)), not signals


def _fetch(client: Client, checkpoint: str | None, max_records: int) -> Fetched:
    cp = _load_checkpoint(client.api, checkpoint)
    latest: dict[Any, Any] = {}
    last_cp: Any = cp
    exhausted = True
    batches = 0
    it = client.api.fetch_iter(SIGNAL_TYPES, cp)
    for delta in it:
        batches += 1
        latest.update(delta.updates)  # a later update of a key replaces the earlier
        if delta.checkpoint is not None:
            last_cp = delta.checkpoint
        if len(latest) >= max_records:
            exhausted = False  # the iterator may be abandoned; its checkpoint holds
            break
    records: list[SourceRecord] = []
    skipped = 0
    for k, v in latest.items():
        rec, skip = convert(client, k, v)
        records.append(rec)
        skipped += skip
    whole = client.exchange is PytxExchange.LOCAL_FILE or (cp is None and exhausted)
    text = None if last_cp is None else json.dumps(dataclasses.asdict(last_cp), sort_keys=True)
    return Fetched(records, text, whole, skipped, batches)


def fetch(client: Client, checkpoint: str | None, *, max_records: int, timeout_s: float) -> Fetched:
    """Run the library's fetch on a thread with a deadline: some of its requests carry no
    timeout (ThreatExchange's ``get_json_from_url`` calls ``requests.get`` bare). On the
    deadline the thread is left to finish on its own and nothing it fetched is used."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["ok"] = _fetch(client, checkpoint, max_records)
        except BaseException as e:  # handed to the caller
            box["err"] = e

    t = threading.Thread(target=run, name=f"pytx-fetch-{client.collab.name}", daemon=True)
    t.start()
    t.join(timeout_s)
    if t.is_alive():
        raise TimeoutError(f"the exchange did not finish answering within {timeout_s:g} s")
    if "err" in box:
        raise box["err"]
    out: Fetched = box["ok"]
    return out
