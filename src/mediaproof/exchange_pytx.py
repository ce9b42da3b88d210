"""A python-threatexchange extension: mediaproof feeds as a ``SignalExchangeAPI``, so
the ``threatexchange`` CLI (and HMA, which runs the same interface) fetches a mediaproof
collection with the same checks a mediaproof peer runs: pinned key, consistency with the
last checkpoint, inclusion of every row. Withdrawals arrive as deletions.

::

    pip install mediaproof threatexchange
    threatexchange config extensions add mediaproof.exchange_pytx
    export TX_MEDIAPROOF_TOKEN=mp_...          # or ~/.tx_mediaproof_token
    threatexchange config collab edit mediaproof county-a --create \\
        --url https://county-a.example --collection elections --key 'name+id+key'
    threatexchange fetch

Only ``pdq`` and ``video_md5`` are passed on: python-threatexchange spells those values
as we do (docs/exchange.md). Needs the ``threatexchange`` package (not a dependency of
mediaproof itself).
"""

# No ``from __future__ import annotations``: python-threatexchange's CLI reads the
# collab config's field types at run time to build its options.
import typing as t
import weakref
from dataclasses import dataclass, field

import httpx
from threatexchange.exchanges import auth
from threatexchange.exchanges import fetch_state as state
from threatexchange.exchanges.collab_config import CollaborationConfigWithDefaults
from threatexchange.exchanges.signal_exchange_api import SignalExchangeAPIWithSimpleUpdates
from threatexchange.extensions.manifest import ThreatExchangeExtensionManifest
from threatexchange.signal_type.signal_base import SignalType

from mediaproof.exchange.log import Trusted
from mediaproof.exchange.models import PYTX_SIGNAL_TYPES, FeedRow, live_signals
from mediaproof.services.exchange_pull import fetch_verified

API_NAME = "mediaproof"


@dataclass
class _Required:
    url: str = field(metadata={"help": "base URL of the mediaproof instance"})
    collection: str = field(metadata={"help": "the collection to fetch"})
    key: str = field(metadata={"help": "the publisher's checkpoint key, got out of band"})


@dataclass
class MediaproofCollabConfig(CollaborationConfigWithDefaults, _Required):
    pass


@dataclass
class MediaproofCheckpoint(state.FetchCheckpointBase):
    """The last checkpoint accepted: the next fetch must extend it."""

    size: int
    root: str  # hex


@dataclass
class MediaproofSignalMetadata(state.FetchedSignalMetadata):
    category: str
    tags: list[str]
    owner: str

    def get_as_opinions(self) -> t.Sequence[state.SignalOpinion]:
        cat = state.SignalOpinionCategory[self.category.upper()]
        return [state.SignalOpinion(False, cat, set(self.tags))]


@dataclass
class MediaproofCredentials(auth.CredentialHelper):
    ENV_VARIABLE: t.ClassVar[str] = "TX_MEDIAPROOF_TOKEN"
    FILE_NAME: t.ClassVar[str] = "~/.tx_mediaproof_token"

    token: str = field(metadata={"help": "a mediaproof API token granted the collection"})

    @classmethod
    def _from_str(cls, s: str) -> "MediaproofCredentials":
        return cls(s.strip())

    def _are_valid(self) -> bool:
        return self.token.startswith("mp_")


_Delta = state.FetchDelta[tuple[str, str], MediaproofSignalMetadata, MediaproofCheckpoint]


class MediaproofSignalExchangeAPI(
    auth.SignalExchangeWithAuth[MediaproofCollabConfig, MediaproofCredentials],
    SignalExchangeAPIWithSimpleUpdates[
        MediaproofCollabConfig, MediaproofCheckpoint, MediaproofSignalMetadata
    ],
):
    """Fetches a mediaproof collection's feed, verified."""

    def __init__(self, collab: MediaproofCollabConfig, token: str) -> None:
        super().__init__()
        self.collab = collab
        self.token = token

    @classmethod
    def get_name(cls) -> str:
        return API_NAME

    @staticmethod
    def get_config_cls() -> type[MediaproofCollabConfig]:
        return MediaproofCollabConfig

    @staticmethod
    def get_checkpoint_cls() -> type[MediaproofCheckpoint]:
        return MediaproofCheckpoint

    @staticmethod
    def get_record_cls() -> type[MediaproofSignalMetadata]:
        return MediaproofSignalMetadata

    @staticmethod
    def get_credential_cls() -> type[MediaproofCredentials]:
        return MediaproofCredentials

    @classmethod
    def for_collab(
        cls,
        collab: MediaproofCollabConfig,
        credentials: MediaproofCredentials | None = None,
    ) -> "MediaproofSignalExchangeAPI":
        credentials = credentials or MediaproofCredentials.get(cls)
        return cls(collab, credentials.token)

    def fetch_iter(
        self,
        supported_signal_types: t.Sequence[type[SignalType]],
        checkpoint: MediaproofCheckpoint | None,
    ) -> t.Iterator[_Delta]:
        wanted = {s.get_name() for s in supported_signal_types}
        trusted = Trusted(checkpoint.size, bytes.fromhex(checkpoint.root)) if checkpoint else None
        with httpx.Client(timeout=60.0, follow_redirects=False) as client:
            got = fetch_verified(
                client,
                url=self.collab.url,
                collection=self.collab.collection,
                token=self.token,
                vkey=self.collab.key,
                trusted=trusted,
            )
        # a snapshot reload (behind the tombstone horizon) carries live signals only;
        # signals withdrawn meanwhile stay until `threatexchange fetch` starts afresh
        rows = list(live_signals(got.rows).values()) if got.snapshot else got.rows
        updates: dict[tuple[str, str], MediaproofSignalMetadata | None] = {}
        for r in sorted(rows, key=lambda r: r.seq):
            if r.opinion is not None:
                continue  # a peer's opinion on a signal (verified with the rest), not a signal
            if r.signal_type not in PYTX_SIGNAL_TYPES or r.signal_type.value not in wanted:
                continue
            updates[(r.signal_type.value, r.value)] = None if r.deleted else _metadata(r)
        cp = got.checkpoint
        yield state.FetchDelta(updates, MediaproofCheckpoint(cp.size, cp.root.hex()))


def _metadata(r: FeedRow) -> MediaproofSignalMetadata:
    return MediaproofSignalMetadata(r.category.value, list(r.tags), r.owner)


def _keep_pdq_index_through_pickle() -> None:
    """Work around a faiss bug that empties python-threatexchange's PDQ index on disk.

    ``threatexchange match`` reads the PDQ index that ``fetch`` pickled. faiss
    (``write_binary_multi_hash_map``, every release up to 1.15.1) writes each bucket's
    size of an ``IndexBinaryMultiHash`` in ``id_bits`` bits, where ``2**id_bits`` is the
    smallest power of two not below the index size. A bucket holding ``2**id_bits``
    entries, which happens when the size is a power of two and every entry shares that
    16-bit chunk (always, for an index of ONE signal), is written as empty, so after the
    round trip those entries are found by no query: a collection left with one PDQ signal
    matches nothing, not even the exact hash. When the extension is loaded, an index
    read back with a power-of-two size is rebuilt from its stored hashes and ids (which
    faiss keeps intact); other sizes cannot lose a bucket and are left as read.
    """
    try:
        import faiss
        from threatexchange.signal_type.pdq import pdq_faiss_matcher as m
    except ImportError:  # pragma: no cover - faiss comes with threatexchange
        return
    cls: t.Any = m.PDQMultiHashIndex  # patched below: typed loosely on purpose
    if getattr(cls, "_mediaproof_rebuilds", False):
        return
    read_back: t.Callable[[t.Any, t.Any], None] = cls.__setstate__
    rev_map = getattr(cls, "_PDQMultiHashIndex__construct_index_rev_map", None)
    if rev_map is None:  # not the 1.2.x layout this was written against: leave it alone
        return

    def __setstate__(self: t.Any, data: t.Any) -> None:
        read_back(self, data)
        idmap = self.faiss_index
        n = int(idmap.ntotal)
        if n == 0 or n & (n - 1) or not hasattr(idmap, "id_map"):
            return
        mih = self.mih_index
        codes = faiss.vector_to_array(mih.storage.xb).reshape(n, mih.code_size)
        ids = faiss.vector_to_array(idmap.id_map)
        fresh = faiss.IndexBinaryIDMap2(faiss.IndexBinaryMultiHash(mih.d, mih.nhash, mih.b))
        fresh.add_with_ids(codes, ids)
        self._finalizer.detach()  # the old index is dropped, not reset under a live one
        self.faiss_index = fresh
        self._finalizer = weakref.finalize(self, cls._finalize_faiss, fresh)
        rev_map(self)

    cls.__setstate__ = __setstate__
    cls._mediaproof_rebuilds = True


_keep_pdq_index_through_pickle()

TX_MANIFEST = ThreatExchangeExtensionManifest(apis=(MediaproofSignalExchangeAPI,))
