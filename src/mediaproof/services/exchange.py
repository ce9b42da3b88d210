"""The publishing side of the hash exchange: collections, sync from the bank, the feed,
snapshots, checkpoints and proofs, grants and the read audit (docs/exchange.md).

Every answer is proved against a checkpoint signed at that moment over the tree hashed
from the stored rows, so a row changed or dropped on disk changes what peers are shown
and they refuse it. The instance also remembers the last tree it signed per collection
and raises an alarm (kept on the collection, logged) when its own store no longer
extends it.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from mediaproof.accounts.models import Permission, Principal, Role
from mediaproof.errors import NotFoundError, PermissionDeniedError, StorageError, UsageError
from mediaproof.exchange.log import origin_for, tree_of
from mediaproof.exchange.models import (
    BANK_KEYS,
    DEFAULT_PAGE,
    MAX_PAGE,
    CollectionSpec,
    FeedRow,
    SignalType,
    check_position,
    check_value,
    live_signals,
)
from mediaproof.exchange.snapshot import dataset_csv, local_file
from mediaproof.services import accounts
from mediaproof.services.instance import Instance
from mediaproof.storage.sql.repos_exchange import ExchangeRepository, digest, spec_of
from mediaproof.storage.sql.tables_exchange import ExchangeCollectionRow
from mediaproof.transparency.checkpoint import Checkpoint, sign_checkpoint
from mediaproof.transparency.errors import ProofError
from mediaproof.transparency.merkle import MemoryTree, verify_consistency
from mediaproof.transparency.note import Ed25519Signer

log = logging.getLogger(__name__)

KEY_FILE = "exchange-signer.key"
DEFAULT_KEY_NAME = "localhost/mediaproof/exchange"
SYNC_ON_READ_S = 2.0  # a pull syncs the collection first, at most this often


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode()


# --- the signing key -----------------------------------------------------------------


def key_path(inst: Instance) -> Path:
    return inst.keys_dir / KEY_FILE


def init_key(inst: Instance, name: str = DEFAULT_KEY_NAME) -> Ed25519Signer:
    """Create the exchange's note key (once). Its name starts every collection's origin."""
    path = key_path(inst)
    if path.exists():
        raise UsageError(f"{path} exists already", hint="a published key cannot change")
    signer = Ed25519Signer.generate(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(signer.skey + "\n")
    return signer


def signer(inst: Instance) -> Ed25519Signer:
    path = key_path(inst)
    if not path.exists():
        return init_key(inst)
    return Ed25519Signer.from_skey(path.read_text())


# --- collections ---------------------------------------------------------------------


def collection_json(row: ExchangeCollectionRow, size: int | None = None) -> dict[str, Any]:
    spec = spec_of(row)
    out: dict[str, Any] = {
        "name": spec.name,
        "organisation": spec.organisation,
        "description": spec.description,
        "signal_types": [t.value for t in spec.signal_types],
        "tlp": spec.tlp.value,
        "policy_url": spec.policy_url,
        "category": spec.category.value,
        "inclusion_rule": spec.rule.as_dict(),
        "tombstone_days": spec.tombstone_days,
    }
    if size is not None:
        out["size"] = size
    return out


def create_collection(
    inst: Instance, spec: CollectionSpec, now: dt.datetime | None = None
) -> dict[str, Any]:
    spec.validate()
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        if repo.collection(spec.name) is not None:
            raise UsageError(f"a collection {spec.name!r} exists already")
        row = repo.add_collection(spec, now or _now())
        return collection_json(row, 0)


def list_collections(inst: Instance) -> list[dict[str, Any]]:
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        out = []
        for row in repo.collections():
            d = collection_json(row, repo.size(row))
            d["alarm"] = row.alarm
            d["synced_at"] = row.synced_at.isoformat() if row.synced_at else None
            out.append(d)
        return out


# --- sync from the bank ----------------------------------------------------------------


@dataclass(frozen=True)
class SyncResult:
    collection: str
    added: int
    withdrawn: int
    size: int


def _time(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _wanted(
    repo: ExchangeRepository, row: ExchangeCollectionRow
) -> dict[tuple[SignalType, str], tuple[str, ...]]:
    """What the inclusion rule says the collection should hold now: signal -> tags."""
    spec = spec_of(row)
    withdrawn = repo.withdrawn(row)
    out: dict[tuple[SignalType, str], tuple[str, ...]] = {}
    for src in repo.bank_signals():
        if src.decision is None or not spec.rule.admits(src.decision):
            continue
        for st in spec.signal_types:
            raw = src.fingerprints.get(BANK_KEYS[st])
            if not raw:
                continue
            try:
                value = check_value(st, raw)
            except UsageError:
                log.warning("exchange: bank entry %d has a malformed %s value", src.bank_id, st)
                continue
            if (st.value, digest(value)) in withdrawn:
                continue
            out[(st, value)] = (src.decision.category,)
    return out


def _append(
    repo: ExchangeRepository,
    row: ExchangeCollectionRow,
    rows: list[FeedRow],
    st: SignalType,
    value: str,
    tags: tuple[str, ...],
    deleted: bool,
    now: dt.datetime,
) -> None:
    spec = spec_of(row)
    r = FeedRow(
        collection=row.name,
        seq=len(rows) + 1,
        signal_type=st,
        value=value,
        category=spec.category,
        tags=tuple(sorted(set(tags))),
        quality=None,  # the bank keeps usable hashes only, not their quality score
        owner=spec.organisation,
        deleted=deleted,
        time=_time(now),
    )
    repo.append(row, r, now)
    rows.append(r)


def _sync_one(repo: ExchangeRepository, row: ExchangeCollectionRow, now: dt.datetime) -> SyncResult:
    rows = repo.updates(row)
    live = live_signals(rows)
    wanted = _wanted(repo, row)
    added = withdrawn = 0
    for key in sorted(set(live) - set(wanted)):
        _append(repo, row, rows, key[0], key[1], live[key].tags, True, now)
        withdrawn += 1
    for key in sorted(wanted):
        cur = live.get(key)
        if cur is None or cur.tags != tuple(sorted(set(wanted[key]))):
            _append(repo, row, rows, key[0], key[1], wanted[key], False, now)
            added += 1
    row.synced_at = now
    _remember(row, tree_of(rows))
    return SyncResult(row.name, added, withdrawn, len(rows))


def _remember(row: ExchangeCollectionRow, tree: MemoryTree) -> None:
    """Keep the tree signed last; raise the alarm when the store no longer extends it."""
    if row.signed_root is not None and row.signed_size > 0:
        try:
            if tree.size < row.signed_size:
                raise ProofError(
                    f"the store holds {tree.size} updates, {row.signed_size} were signed"
                )
            verify_consistency(
                row.signed_size,
                tree.size,
                bytes.fromhex(row.signed_root),
                tree.root(),
                tree.consistency_proof(row.signed_size),
            )
        except ProofError as e:
            if row.alarm is None:
                log.error("exchange: collection %s: the stored log was rewritten: %s", row.name, e)
            row.alarm = (
                f"the stored log no longer extends the tree of size {row.signed_size} "
                f"signed before: {e.message}"
            )
            return  # keep the last good tree as the reference
    row.signed_size = tree.size
    row.signed_root = tree.root().hex()


def sync(
    inst: Instance, name: str | None = None, now: dt.datetime | None = None
) -> list[SyncResult]:
    """Bring collections (one, or all) in line with the bank and their withdrawals."""
    now = now or _now()
    out = []
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        targets = [name] if name else [c.name for c in repo.collections()]
        for n in targets:
            row = repo.collection(n, lock=True)
            if row is None:
                raise NotFoundError(f"no collection {n!r}")
            out.append(_sync_one(repo, row, now))
    return out


def withdraw(
    inst: Instance,
    name: str,
    signal_type: str,
    value: str,
    reason: str,
    now: dt.datetime | None = None,
) -> SyncResult:
    """Take a signal out of a collection for good (a tombstone now; sync keeps it out)."""
    now = now or _now()
    try:
        st = SignalType(signal_type)
    except ValueError as e:
        raise UsageError(f"unknown signal type {signal_type!r}") from e
    v = check_value(st, value)
    if not reason.strip():
        raise UsageError("say why the signal is withdrawn")
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        row = repo.collection(name, lock=True)
        if row is None:
            raise NotFoundError(f"no collection {name!r}")
        repo.withdraw(row, st, v, reason.strip(), now)
        s.flush()
        return _sync_one(repo, row, now)


# --- access ----------------------------------------------------------------------------


def _authorise(repo: ExchangeRepository, who: Principal | None, name: str) -> ExchangeCollectionRow:
    """Admins (``exchange:manage``) read everything; anyone else needs a token granted
    this collection. A caller without a grant learns nothing, not even that it exists.
    ``None`` is the operator on the instance's machine (the CLI)."""
    if who is not None and not who.can(Permission.MANAGE_EXCHANGE):
        if who.token_id is None or not who.can(Permission.EXCHANGE_READ):
            raise PermissionDeniedError("reading a collection needs an API token granted it")
        if not repo.granted(who.token_id, name):
            raise PermissionDeniedError("this token is not granted that collection")
    row = repo.collection(name)
    if row is None:
        raise NotFoundError(f"no collection {name!r}")
    return row


def _who(who: Principal | None) -> tuple[int | None, int | None]:
    if who is None:
        return None, None
    return (who.user.id if who.user else None), who.token_id


def rate_key(who: Principal) -> str:
    """Per peer: the token (or the account, for sessions), never the address."""
    if who.token_id is not None:
        return f"token:{who.token_id}"
    return f"user:{who.user.id if who.user else 'anonymous'}"


def visible_collections(inst: Instance, who: Principal) -> list[dict[str, Any]]:
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        if who.can(Permission.MANAGE_EXCHANGE):
            names = None
        elif who.token_id is not None and who.can(Permission.EXCHANGE_READ):
            names = repo.granted_names(who.token_id)
        else:
            raise PermissionDeniedError("reading collections needs an API token granted them")
        return [
            collection_json(r, repo.size(r))
            for r in repo.collections()
            if names is None or r.name in names
        ]


def collection_info(inst: Instance, who: Principal, name: str) -> dict[str, Any]:
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        row = _authorise(repo, who, name)
        return collection_json(row, repo.size(row))


def grant(
    inst: Instance,
    name: str,
    peer: str,
    *,
    expires_in_days: int | None = 365,
    now: dt.datetime | None = None,
) -> tuple[str, int]:
    """A token for peer account ``peer`` (created with role peer if new) that reads
    collection ``name``; the secret is returned once."""
    with inst.db.session() as s:
        if ExchangeRepository(s).collection(name) is None:
            raise NotFoundError(f"no collection {name!r}")
    existing = {u.username: u for u in accounts.list_users(inst)}.get(peer)
    if existing is None:
        # nobody signs in as a peer: the password is random and never shown
        accounts.create_user(
            inst, peer, Role.PEER, accounts.generate_password(), must_change_password=False
        )
    elif existing.role is not Role.PEER:
        raise UsageError(f"account {peer!r} exists and is not a peer account")
    secret, tok = accounts.issue_token(
        inst, peer, f"exchange:{name}", [Permission.EXCHANGE_READ.value], expires_in_days
    )
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        row = repo.collection(name)
        assert row is not None
        repo.grant(tok.id, row, now or _now())
    return secret, tok.id


def reads(inst: Instance, name: str, limit: int = 100) -> list[dict[str, Any]]:
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        row = repo.collection(name)
        if row is None:
            raise NotFoundError(f"no collection {name!r}")
        return [
            {
                "at": r.at.isoformat(),
                "what": r.what,
                "user_id": r.user_id,
                "token_id": r.token_id,
                "after": r.after,
                "rows": r.rows,
                "size": r.size,
            }
            for r in repo.reads(row, limit)
        ]


# --- the feed ----------------------------------------------------------------------------


def _signed(inst: Instance, name: str, tree: MemoryTree, size: int) -> str:
    key = signer(inst)
    cp = Checkpoint(origin_for(key.name, name), size, tree.root(size))
    return sign_checkpoint(cp, key).encode().decode()


def _proof(tree: MemoryTree, index: int, size: int) -> list[str]:
    # a row whose index the stored tree cannot prove (rows dropped on disk) gets no proof,
    # and the peer refuses it: better than an error that hides what happened
    if not 0 <= index < size <= tree.size:
        return []
    return [_b64(h) for h in tree.inclusion_proof(index, size)]


_SYNC_LOCK = threading.Lock()


def _maybe_sync(inst: Instance, name: str, now: dt.datetime) -> None:
    """Sync before answering a pull, at most every SYNC_ON_READ_S; one at a time in this
    process. A sync that loses a race with another process is not the reader's problem:
    the answer is then proved against what is stored."""
    with _SYNC_LOCK:
        with inst.db.session() as s:
            row = ExchangeRepository(s).collection(name)
            fresh = (
                row is not None
                and row.synced_at is not None
                and (now - _aware(row.synced_at)).total_seconds() < SYNC_ON_READ_S
            )
        if row is None or fresh:
            return
        try:
            sync(inst, name, now)
        except (StorageError, IntegrityError) as e:
            log.warning("exchange: sync of %s before a read failed: %s", name, e)


def _aware(t: dt.datetime) -> dt.datetime:
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


# The tree a pull's first page hashed, for its later pages (which pass ``size``): without
# it a pull of n updates in pages would hash the store n / limit times. Short-lived, and
# never used for a first page, so every pull still sees the store as it is.
TREE_CACHE_S = 60.0
TREE_CACHE_MAX = 8
_TREES: dict[tuple[str, str], tuple[float, MemoryTree]] = {}
_TREES_LOCK = threading.Lock()


def _cache_tree(inst: Instance, name: str, tree: MemoryTree) -> None:
    with _TREES_LOCK:
        _TREES[(inst.db.url, name)] = (time.monotonic(), tree)
        while len(_TREES) > TREE_CACHE_MAX:
            del _TREES[min(_TREES, key=lambda k: _TREES[k][0])]


def _cached_tree(inst: Instance, name: str, size: int) -> MemoryTree | None:
    with _TREES_LOCK:
        hit = _TREES.get((inst.db.url, name))
    if hit is None or time.monotonic() - hit[0] > TREE_CACHE_S or not 0 <= size <= hit[1].size:
        return None
    return hit[1]


def updates(
    inst: Instance,
    who: Principal,
    name: str,
    *,
    after: int = 0,
    limit: int = DEFAULT_PAGE,
    size: int | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """One page of updates after ``after``, proved against a checkpoint of ``size``
    (default: the current size; a puller passes the size of its first page so all
    pages prove against one checkpoint), with the consistency proof from ``after``."""
    now = now or _now()
    if not 1 <= limit <= MAX_PAGE:
        raise UsageError(f"limit must be 1-{MAX_PAGE}")
    with inst.db.session() as s:
        _authorise(ExchangeRepository(s), who, name)
    if size is None:
        _maybe_sync(inst, name, now)
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        row = _authorise(repo, who, name)
        spec = spec_of(row)
        check_position(after, repo.horizon(row, now - dt.timedelta(days=spec.tombstone_days)))
        cached = _cached_tree(inst, name, size) if size is not None else None
        n: int
        if cached is not None and size is not None:
            # a later page of a pull: the tree its first page hashed from the store, the
            # rows read afresh (a row changed since then fails its inclusion proof)
            tree, n = cached, size
            page = repo.updates(row, after, upto=n, limit=limit)
            pos = {r.seq: r.seq - 1 for r in page}
        else:
            rows = repo.updates(row)
            tree = tree_of(rows)
            n = tree.size if size is None else size
            if not 0 <= n <= tree.size:
                raise UsageError(
                    f"size {n} is not a size this collection's log had",
                    hint="pull again without size",
                )
            page = [r for r in rows if after < r.seq <= n][:limit]
            pos = {r.seq: i for i, r in enumerate(rows)}
            if all(r.seq == i + 1 for i, r in enumerate(rows)):
                _cache_tree(inst, name, tree)
        consistency = [_b64(h) for h in tree.consistency_proof(after, n)] if 0 <= after <= n else []
        out_rows = []
        for r in page:
            d = r.as_json()
            d["inclusion_proof"] = _proof(tree, pos[r.seq], n)
            out_rows.append(d)
        last = page[-1].seq if page else after
        repo.audit(
            row,
            user_id=_who(who)[0],
            token_id=_who(who)[1],
            what="updates",
            after=after,
            rows=len(page),
            size=n,
            now=now,
        )
        return {
            "collection": name,
            "checkpoint": _signed(inst, name, tree, n),
            "size": n,
            "after": after,
            "consistency_proof": consistency,
            "updates": out_rows,
            "next": last,
            "more": last < n,
        }


def checkpoint(
    inst: Instance, who: Principal, name: str, now: dt.datetime | None = None
) -> dict[str, Any]:
    now = now or _now()
    with inst.db.session() as s:
        _authorise(ExchangeRepository(s), who, name)
    _maybe_sync(inst, name, now)
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        row = _authorise(repo, who, name)
        tree = tree_of(repo.updates(row))
        repo.audit(
            row,
            user_id=_who(who)[0],
            token_id=_who(who)[1],
            what="checkpoint",
            after=None,
            rows=0,
            size=tree.size,
            now=now,
        )
        return {
            "collection": name,
            "size": tree.size,
            "checkpoint": _signed(inst, name, tree, tree.size),
        }


def consistency(
    inst: Instance, who: Principal, name: str, old: int, new: int | None = None
) -> dict[str, Any]:
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        row = _authorise(repo, who, name)
        tree = tree_of(repo.updates(row))
        new = tree.size if new is None else new
        if not 0 <= old <= new <= tree.size:
            raise UsageError(f"need 0 <= old <= new <= {tree.size}")
        return {
            "old": old,
            "new": new,
            "checkpoint": _signed(inst, name, tree, new),
            "proof": [_b64(h) for h in tree.consistency_proof(old, new)],
        }


SNAPSHOT_FORMATS = ("local_file", "csv", "json")


def snapshot(
    inst: Instance,
    who: Principal | None,
    name: str,
    fmt: str,
    *,
    old: int = 0,
    now: dt.datetime | None = None,
) -> tuple[str, str | dict[str, Any]]:
    """The live signals: ``local_file`` and ``csv`` text for python-threatexchange tools,
    or ``json`` with each row's inclusion proof (and the consistency proof from ``old``)
    for a peer reloading behind the tombstone horizon."""
    if fmt not in SNAPSHOT_FORMATS:
        raise UsageError(f"unknown format {fmt!r}", hint="one of: " + ", ".join(SNAPSHOT_FORMATS))
    now = now or _now()
    with inst.db.session() as s:
        _authorise(ExchangeRepository(s), who, name)
    _maybe_sync(inst, name, now)
    with inst.db.session() as s:
        repo = ExchangeRepository(s)
        row = _authorise(repo, who, name)
        rows = repo.updates(row)
        live = sorted(live_signals(rows).values(), key=lambda r: r.seq)
        repo.audit(
            row,
            user_id=_who(who)[0],
            token_id=_who(who)[1],
            what=f"snapshot:{fmt}",
            after=None,
            rows=len(live),
            size=len(rows),
            now=now,
        )
        if fmt == "local_file":
            return "text/plain; charset=utf-8", local_file(live)
        if fmt == "csv":
            return "text/csv; charset=utf-8", dataset_csv(live, name)
        tree = tree_of(rows)
        pos = {r.seq: i for i, r in enumerate(rows)}
        n = tree.size
        body = {
            "collection": name,
            "checkpoint": _signed(inst, name, tree, n),
            "size": n,
            "old": old,
            "consistency_proof": (
                [_b64(h) for h in tree.consistency_proof(old, n)] if 0 <= old <= n else []
            ),
            "signals": [
                {**r.as_json(), "inclusion_proof": _proof(tree, pos[r.seq], n)} for r in live
            ],
        }
        return "application/json", body


def public_key(inst: Instance) -> str:
    """The verifier key peers pin (``name+keyid+key``)."""
    return signer(inst).vkey
