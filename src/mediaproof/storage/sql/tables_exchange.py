"""Tables of the hash exchange: published collections and their updates (the log's
leaves), who may read them and who did, and on the pulling side the peers and the
signals received from them (review-only). No personal data: signals, opaque ids."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from mediaproof.storage.sql import account_tables as _users  # noqa: F401  (api_tokens FKs)
from mediaproof.storage.sql.tables import Base

TS = DateTime(timezone=True)


class ExchangeCollectionRow(Base):
    __tablename__ = "exchange_collections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    organisation: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    signal_types: Mapped[str] = mapped_column(String(200))  # space-separated
    tlp: Mapped[str] = mapped_column(String(20))
    policy_url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    category: Mapped[str] = mapped_column(String(30))
    rule: Mapped[str] = mapped_column(Text)  # JSON InclusionRule
    tombstone_days: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(TS)
    synced_at: Mapped[dt.datetime | None] = mapped_column(TS, nullable=True)
    # the last tree this instance signed, to notice its own store changing under it
    signed_size: Mapped[int] = mapped_column(Integer, default=0)
    signed_root: Mapped[str | None] = mapped_column(String(64), nullable=True)
    alarm: Mapped[str | None] = mapped_column(Text, nullable=True)
    # how many leaves exchange_tree_nodes covers; stale: a stored row was changed or
    # deleted since (a trigger sets it, migration 0031), so answers hash the store again
    tree_size: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    tree_stale: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # the inputs' version (exchange_sync_inputs) the last sync read; NULL: read everything
    synced_inputs: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class ExchangeSyncInputsRow(Base):
    """One row (id 1): ``version`` is raised by triggers (migration 0034) on every change
    a collection's sync reads (bank, decisions, a case's category, withdrawals, accepted
    contributions, a collection's rule), so a sync sees "nothing changed" in one read."""

    __tablename__ = "exchange_sync_inputs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)


class ExchangeUpdateRow(Base):
    """One leaf of a collection's log. Rows are only ever appended."""

    __tablename__ = "exchange_updates"
    __table_args__ = (
        UniqueConstraint("collection_id", "seq", name="uq_exchange_updates_seq"),
        Index("ix_exchange_updates_created", "collection_id", "created_at"),
        Index("ix_exchange_updates_opinion", "collection_id", "signal_type", "opinion"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("exchange_collections.id"))
    seq: Mapped[int] = mapped_column(Integer)
    signal_type: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(30))
    tags: Mapped[str] = mapped_column(Text, default="")  # space-separated
    quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    owner: Mapped[str] = mapped_column(String(200))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    time: Mapped[str] = mapped_column(String(40))  # the entry's time text, verbatim
    created_at: Mapped[dt.datetime] = mapped_column(TS)
    # an opinion row (owner says this about the signal): confirmed, false_positive,
    # disputed, seen; None for signal updates. The reason is scrubbed text.
    opinion: Mapped[str | None] = mapped_column(String(20), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class ExchangeTreeNodeRow(Base):
    """A complete subtree's hash in a collection's log (``level``, ``idx``: leaves
    ``[idx * 2**level, (idx + 1) * 2**level)``), so a page's proofs read O(log n) of
    these instead of hashing the whole log (services/exchange_tree.py)."""

    __tablename__ = "exchange_tree_nodes"

    collection_id: Mapped[int] = mapped_column(
        ForeignKey("exchange_collections.id"), primary_key=True
    )
    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    idx: Mapped[int] = mapped_column(Integer, primary_key=True)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class ExchangeGrantRow(Base):
    """A token that may read one collection (deny by default)."""

    __tablename__ = "exchange_grants"
    __table_args__ = (
        UniqueConstraint("token_id", "collection_id", name="uq_exchange_grants_token"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id", ondelete="CASCADE"))
    collection_id: Mapped[int] = mapped_column(ForeignKey("exchange_collections.id"))
    created_at: Mapped[dt.datetime] = mapped_column(TS)


class ExchangeReadRow(Base):
    """The audit record of every read of a collection."""

    __tablename__ = "exchange_reads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("exchange_collections.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    token_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    what: Mapped[str] = mapped_column(String(30))
    after: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rows: Mapped[int] = mapped_column(Integer, default=0)
    size: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[dt.datetime] = mapped_column(TS)


class ExchangePeerRow(Base):
    """A source this instance pulls from, with the key pinned for it and what it last
    accepted (the peer's checkpoint) and how its pulls go."""

    __tablename__ = "exchange_peers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(63), unique=True)
    url: Mapped[str] = mapped_column(String(2000))
    collection: Mapped[str] = mapped_column(String(63))
    token: Mapped[str] = mapped_column(String(300))  # the peer's bearer token; never shown
    vkey: Mapped[str] = mapped_column(String(500))
    trusted_size: Mapped[int] = mapped_column(Integer, default=0)
    trusted_root: Mapped[str | None] = mapped_column(String(64), nullable=True)
    checkpoint: Mapped[str | None] = mapped_column(Text, nullable=True)  # signed note kept
    status: Mapped[str] = mapped_column(String(20))
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_pull_at: Mapped[dt.datetime | None] = mapped_column(TS, nullable=True)
    last_ok_at: Mapped[dt.datetime | None] = mapped_column(TS, nullable=True)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(TS, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(TS)
    # signals the quality gate kept out of the matchable store (exchange/incoming.py)
    gated_low_quality: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    gated_flat: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # "mediaproof" (a peer's signed feed) or "pytx:<exchange>" (a python-threatexchange
    # exchange, services/exchange_sources.py): its settings as JSON, the path of the
    # operator's credentials file (read at each pull, never stored here), the library's
    # checkpoint as JSON, and how many records carried no type we match
    kind: Mapped[str] = mapped_column(String(40), default="mediaproof", server_default="mediaproof")
    source_config: Mapped[str | None] = mapped_column(Text, nullable=True)
    credentials_file: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    pytx_checkpoint: Mapped[str | None] = mapped_column(Text, nullable=True)
    skipped_types: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ExchangeSourceRecordRow(Base):
    """Which record of a python-threatexchange exchange (its own key: an NCMEC entry, a
    ThreatExchange indicator) gave which received signal. A record the exchange deletes
    takes out the signals no other record of the source still gives."""

    __tablename__ = "exchange_source_records"
    __table_args__ = (
        UniqueConstraint(
            "peer_id", "key_digest", "signal_type", "digest", name="uq_exchange_source_records"
        ),
        Index("ix_exchange_source_records_signal", "peer_id", "signal_type", "digest"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    peer_id: Mapped[int] = mapped_column(ForeignKey("exchange_peers.id", ondelete="CASCADE"))
    key_digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the record key's JSON
    signal_type: Mapped[str] = mapped_column(String(20))
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the signal's value
    # the exchange's ids a verdict on the signal goes to (JSON; services/exchange_pytx_verdicts)
    ref: Mapped[str | None] = mapped_column(Text, nullable=True)


class ExchangeIncomingRow(Base):
    """A signal a peer publishes, held for review: it never acts alone."""

    __tablename__ = "exchange_incoming"
    __table_args__ = (
        UniqueConstraint("peer_id", "signal_type", "digest", name="uq_exchange_incoming_signal"),
        # an exact type (video_md5) matched by a lookup, across every source
        Index("ix_exchange_incoming_type_digest", "signal_type", "digest"),
        # ids never reused (SQLite would hand out a deleted top id again): the matching
        # index (services/exchange_index.py) tops up from ids above the last it saw
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    peer_id: Mapped[int] = mapped_column(ForeignKey("exchange_peers.id", ondelete="CASCADE"))
    signal_type: Mapped[str] = mapped_column(String(20))
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the value, for the key
    value: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(30))
    tags: Mapped[str] = mapped_column(Text, default="")
    quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    owner: Mapped[str] = mapped_column(String(200))
    seq: Mapped[int] = mapped_column(Integer)  # the peer's update that set it (its leaf + 1)
    time: Mapped[str] = mapped_column(String(40))
    # pending; confirmed / false_positive once a case it opened was decided here
    review: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[dt.datetime] = mapped_column(TS)
    # the flood guard: set when its match rate jumped; it opens no case until released
    quarantined_at: Mapped[dt.datetime | None] = mapped_column(TS, nullable=True)
    quarantine_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class ExchangeWithdrawalRow(Base):
    """A signal an admin took out of a collection: sync will not publish it again."""

    __tablename__ = "exchange_withdrawals"
    __table_args__ = (
        UniqueConstraint(
            "collection_id", "signal_type", "digest", name="uq_exchange_withdrawals_signal"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("exchange_collections.id"))
    signal_type: Mapped[str] = mapped_column(String(20))
    digest: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(TS)


class ExchangeMatchRow(Base):
    """An upload that matched a received signal: the case it opened (or joined), or why
    none was opened (suppressed by a known-benign signal, quarantined). The signal's
    source, log index and checkpoint are copied: the signal may be withdrawn later. The
    flood guard counts these per signal."""

    __tablename__ = "exchange_matches"
    __table_args__ = (Index("ix_exchange_matches_signal", "incoming_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incoming_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # no FK: outlives it
    peer_id: Mapped[int] = mapped_column(ForeignKey("exchange_peers.id", ondelete="CASCADE"))
    collection: Mapped[str] = mapped_column(String(63))
    seq: Mapped[int] = mapped_column(Integer)
    signal_type: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(Text)
    distance: Mapped[int] = mapped_column(Integer)
    checkpoint_size: Mapped[int] = mapped_column(Integer)
    checkpoint_root: Mapped[str | None] = mapped_column(String(64), nullable=True)
    media_sha256: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(20))  # opened | suppressed | quarantined
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    case_number: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    at: Mapped[dt.datetime] = mapped_column(TS)


class ExchangeVerdictRow(Base):
    """The outbox of verdicts sent back to a source: one per opened match, written when
    its case is decided here, sent (and retried with backoff) by the puller. An appeal
    that changes the verdict puts the new opinion here and the row is sent again."""

    __tablename__ = "exchange_verdicts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    match_id: Mapped[int] = mapped_column(
        ForeignKey("exchange_matches.id", ondelete="CASCADE"), unique=True
    )
    peer_id: Mapped[int] = mapped_column(ForeignKey("exchange_peers.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    opinion: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)  # pending | sent | refused
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(TS, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(TS)
    sent_at: Mapped[dt.datetime | None] = mapped_column(TS, nullable=True)


class ExchangeNegativeRow(Base):
    """The operator's local negative list: known-benign signals that suppress matches."""

    __tablename__ = "exchange_negatives"
    __table_args__ = (
        UniqueConstraint("signal_type", "digest", name="uq_exchange_negatives_signal"),
        {"sqlite_autoincrement": True},  # ids never reused: see exchange_incoming
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    signal_type: Mapped[str] = mapped_column(String(20))
    digest: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[dt.datetime] = mapped_column(TS)
