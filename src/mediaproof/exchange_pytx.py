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


TX_MANIFEST = ThreatExchangeExtensionManifest(apis=(MediaproofSignalExchangeAPI,))
