"""Sources pulled through python-threatexchange's own exchanges (``pytx:<exchange>``):
adding one, pulling it on the same schedule, backoff and status as a mediaproof peer,
and sending a case's verdict back where the exchange's API takes one.

A pull runs the library's ``fetch_iter`` from the checkpoint kept for the source,
converts each record with its ``naive_convert_to_signal_type`` into PDQ and video MD5
signals (other types are counted and skipped) and stores them as received signals:
held for review behind the same quality gate, with the exchange's negative opinions as
known-benign signals, never acting alone. A record the exchange deletes takes its signals
out. The credentials file is read at each pull and checked to be private; neither its
contents nor the library's request URLs (a ThreatExchange token rides in the query) reach
the logs, the status or an error message. The library calls are in
:mod:`mediaproof.services.exchange_pytx_clients`; the plain data in
:mod:`mediaproof.exchange.sources`.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import json
import logging
import re
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mediaproof.errors import NotFoundError, UsageError
from mediaproof.exchange.errors import PeerUnreachableError
from mediaproof.exchange.models import SignalType, check_name, parse_enum
from mediaproof.exchange.sources import (
    MAX_RECORDS_PER_PULL,
    PytxExchange,
    check_base_url,
    parse_kind,
    redact,
)
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos_exchange_incoming import IncomingRepository
from mediaproof.storage.sql.repos_exchange_sources import SourceRepository

if TYPE_CHECKING:
    from mediaproof.services.exchange_pull import PullResult
    from mediaproof.services.exchange_pytx_clients import Client
    from mediaproof.storage.sql.repos_exchange_incoming import PeerRecord
    from mediaproof.storage.sql.repos_exchange_verdicts import VerdictRecord

log = logging.getLogger(__name__)

FETCH_TIMEOUT_S = 600.0
MAX_CREDENTIALS_BYTES = 4096
UNSUPPORTED = "not supported by this exchange"
_GUID = re.compile(r"[0-9A-Fa-f]{8}-(?:[0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# --- credentials kept out of every log record ----------------------------------------
# The library's requests go through urllib3, whose DEBUG records carry each request's
# URL, and a ThreatExchange token rides in the query. While a source's credentials are
# in use, every log record made in the process (any logger, any handler) has them
# replaced by *** as it is created.

_secrets: collections.Counter[str] = collections.Counter()
_secrets_lock = threading.Lock()
_factory_installed = False


def _install_factory() -> None:
    global _factory_installed
    with _secrets_lock:
        if _factory_installed:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            if _secrets:
                try:
                    text = record.getMessage()
                except Exception:  # a malformed record: leave it to the handler
                    return record
                clean = redact(text, list(_secrets))
                if clean != text:
                    record.msg, record.args = clean, None
            return record

        logging.setLogRecordFactory(factory)
        _factory_installed = True


@contextlib.contextmanager
def _credentials_in_use(secrets: tuple[str, ...]) -> Iterator[None]:
    _install_factory()
    live = [x for x in secrets if x]
    with _secrets_lock:
        _secrets.update(live)
    try:
        yield
    finally:
        with _secrets_lock:
            _secrets.subtract(live)
            for x in [k for k, n in _secrets.items() if n <= 0]:
                del _secrets[x]


def _clients() -> Any:
    try:
        from mediaproof.services import exchange_pytx_clients
    except ImportError as e:
        raise UsageError(
            "pytx sources need the threatexchange package",
            hint="pip install 'mediaproof[pytx]'",
        ) from e
    return exchange_pytx_clients


def read_credentials(path: Path) -> str:
    """The credentials file's one line. Refused unless it is a regular file only its
    owner can read (as ``keyfiles`` treats our own keys); its contents are never shown."""
    try:
        st = path.stat()
    except OSError as e:
        raise UsageError(f"cannot read the credentials file {path}: {e.strerror}") from e
    if not stat.S_ISREG(st.st_mode):
        raise UsageError(f"the credentials file {path} is not a regular file")
    if st.st_mode & 0o077:
        raise UsageError(
            f"the credentials file {path} can be read by others",
            hint=f"chmod 600 {path}",
        )
    if st.st_size > MAX_CREDENTIALS_BYTES:
        raise UsageError(f"the credentials file {path} is too large for credentials")
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as e:
        raise UsageError(f"cannot read the credentials file {path}") from e


def add_source(
    inst: Instance,
    name: str,
    *,
    kind: str,
    base_url: str | None = None,
    credentials_file: Path | None = None,
    filename: Path | None = None,
    signal_type: str | None = None,
    privacy_group: int | None = None,
    only_esp_ids: tuple[int, ...] = (),
    ncmec_negative_reason: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Add a ``pytx:<exchange>`` source. Nothing is fetched until the next pull."""
    check_name(name)
    exchange = parse_kind(kind)
    url = check_base_url(exchange, base_url)
    config: dict[str, Any] = {}
    creds_path: str | None = None
    if exchange is PytxExchange.LOCAL_FILE:
        if filename is None:
            raise UsageError("a local_file source needs --file (the signal file to read)")
        if credentials_file is not None:
            raise UsageError("a local_file source takes no credentials")
        config["filename"] = str(filename.resolve())
        if signal_type is not None:
            config["signal_type"] = parse_enum(SignalType, signal_type, "signal type").value
    else:
        if filename is not None or signal_type is not None:
            raise UsageError("--file and --signal-type are for local_file sources")
        if credentials_file is None:
            raise UsageError(f"{exchange.kind} needs --credentials-file")
        creds_path = str(credentials_file.resolve())
        text = read_credentials(Path(creds_path))
        _clients()._credentials(exchange, text)  # in the library's format, or refused
    if exchange is PytxExchange.FB_THREATEXCHANGE:
        if privacy_group is None or privacy_group <= 0:
            raise UsageError("a fb_threatexchange source needs --privacy-group (its id)")
        config["privacy_group"] = privacy_group
    elif privacy_group is not None:
        raise UsageError("--privacy-group is for fb_threatexchange sources")
    if only_esp_ids:
        if exchange is not PytxExchange.NCMEC:
            raise UsageError("--only-esp-id is for ncmec sources")
        config["only_esp_ids"] = sorted(set(only_esp_ids))
    if ncmec_negative_reason is not None:
        if exchange is not PytxExchange.NCMEC:
            raise UsageError("--ncmec-negative-reason is for ncmec sources")
        if not _GUID.fullmatch(ncmec_negative_reason):
            raise UsageError("--ncmec-negative-reason takes the reason's GUID")
        config["ncmec_negative_reason"] = ncmec_negative_reason
    with inst.db.session() as s:
        if IncomingRepository(s).peer(name) is not None:
            raise UsageError(f"a source {name!r} exists already")
        p = SourceRepository(s).add_source(
            name=name,
            kind=exchange.kind,
            url=url,
            collection=exchange.value,
            config=json.dumps(config, sort_keys=True),
            credentials_file=creds_path,
            now=now or _now(),
        )
    from mediaproof.services.exchange_pull import peer_json

    return peer_json(p, 0)


def _client(peer: PeerRecord) -> tuple[Client, tuple[str, ...]]:
    exchange = parse_kind(peer.kind)
    creds = read_credentials(Path(peer.credentials_file)) if peer.credentials_file else None
    config = json.loads(peer.source_config or "{}")
    client = _clients().build(exchange, peer.name, peer.url, config, creds)
    secrets = (*client.secrets, *([creds] if creds else []))
    return client, secrets


def _message(e: BaseException, secrets: tuple[str, ...]) -> str:
    text = str(e.message) if isinstance(e, UsageError) else f"{type(e).__name__}: {e}"
    return redact(text, secrets)[:500]


def fetch_source(peer: PeerRecord) -> Any:
    """Fetch a pytx source from its checkpoint (the network only: nothing is stored)."""
    client, secrets = _client(peer)
    with _credentials_in_use(secrets):
        try:
            return _clients().fetch(
                client,
                peer.pytx_checkpoint,
                max_records=MAX_RECORDS_PER_PULL,
                timeout_s=FETCH_TIMEOUT_S,
            )
        except Exception as e:  # the library raises what requests, XML or asserts raise
            raise _Failed(_message(e, secrets)) from e


class _Failed(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def store_source(
    inst: Instance, peer: PeerRecord, fetched: Any, error: Exception | None, *, now: dt.datetime
) -> PullResult:
    """Store what :func:`fetch_source` fetched, or record its error and back off."""
    from mediaproof.services.exchange_pull import PullResult, _backoff

    if error is not None:
        message = error.message if isinstance(error, _Failed) else _message(error, ())
        log.warning("exchange: pull from %s (%s) failed: %s", peer.name, peer.kind, message)
        with inst.db.session() as s:
            IncomingRepository(s).pull_failed(
                peer.name,
                now,
                status="error",
                message=message,
                retry_s=_backoff(peer.failures + 1).total_seconds(),
            )
        return PullResult(peer.name, "error", message=message)
    with inst.db.session() as s:
        applied = SourceRepository(s).apply(
            peer.id, fetched.records, now, complete=fetched.complete
        )
        SourceRepository(s).pulled(
            peer.name, now, checkpoint=fetched.checkpoint, skipped=fetched.skipped
        )
    if applied.gated:
        log.info("exchange: %s: quality gate kept out %s", peer.name, applied.gated)
    if fetched.skipped:
        log.info(
            "exchange: %s: %d record(s) gave no pdq or video_md5 signal (skipped)",
            peer.name,
            fetched.skipped,
        )
    return PullResult(
        peer.name,
        "ok",
        applied.added,
        applied.removed,
        0,
        f"{len(fetched.records)} record(s), {fetched.skipped} skipped" if fetched.records else None,
    )


def _verdicts() -> Any:
    from mediaproof.services import exchange_pytx_verdicts

    return exchange_pytx_verdicts


def _transient(e: BaseException) -> bool:
    """Worth retrying: the exchange down, slow, rate limiting or failing (5xx); not an
    answer that will not change (a 4xx: bad credentials, no such entry)."""
    resp = getattr(e, "response", None)
    code = getattr(resp, "status_code", None)
    if isinstance(code, int):
        return code >= 500 or code in (408, 425, 429)
    return isinstance(e, _clients().TRANSIENT)


def report_verdict(inst: Instance, peer: PeerRecord, v: VerdictRecord) -> tuple[str, str | None]:
    """Send one verdict through the exchange client's own feedback call
    (services/exchange_pytx_verdicts.py), to the exchange's ids the pull recorded:
    ``sent``, or ``unsupported`` where the exchange's API takes none, or ``refused``
    with its answer. Raises PeerUnreachableError when worth retrying."""
    secrets: tuple[str, ...] = ()
    with inst.db.session() as s:
        refs = SourceRepository(s).refs(peer.id, v.signal_type, v.value)
    try:
        client, secrets = _client(peer)
        with _credentials_in_use(secrets):
            n = _verdicts().send(client, v.signal_type, v.value, v.opinion, refs)
    except _verdicts().Unsupported as e:
        why = f"{UNSUPPORTED}: {peer.kind.removeprefix('pytx:')}: {e}"
        log.info("exchange: verdict on %s/%d: %s", peer.name, v.seq, why)
        return "unsupported", why
    except _verdicts().Refused as e:
        return "refused", _message(e, secrets)
    except Exception as e:
        message = _message(e, secrets)
        if _transient(e):
            raise PeerUnreachableError(message) from e
        return "refused", message
    log.info("exchange: sent a %s verdict on %s/%d (%d record(s))", v.opinion, peer.name, v.seq, n)
    return "sent", None


def kinds() -> list[dict[str, Any]]:
    from mediaproof.exchange.sources import CREDENTIALS_FORMAT, LIBRARY_DEFAULT_URL

    return [
        {
            "kind": e.kind,
            "base_url": "required" if e.remote else "none (reads --file)",
            "library_default_url": LIBRARY_DEFAULT_URL.get(e),
            "credentials": CREDENTIALS_FORMAT.get(e),
        }
        for e in PytxExchange
    ]


def source(inst: Instance, name: str) -> PeerRecord:
    with inst.db.session() as s:
        p = IncomingRepository(s).peer(name)
    if p is None:
        raise NotFoundError(f"no source {name!r}")
    return p
