"""Pictures that go with a verify result: the difference heatmap, the original's preview.

The heatmap is made from the uploaded file, so it is as private as the upload: it is
kept in memory under a random, unguessable token for as long as finished jobs are kept
(``service.job_keep_s``), then forgotten; whoever holds the result's URL may fetch it.

The original's preview is a downscaled copy (at most :data:`PREVIEW_LONG_SIDE` px) of a
*registered, active* image, made from the file the instance keeps, and only when the
operator left both ``keep_original_pixels`` and ``service.original_previews`` on (the
defaults). A registered original is
a public record; the full-size file stays available to publishers only.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import secrets
import threading
import time
import warnings
from collections import OrderedDict
from pathlib import Path

from PIL import Image, ImageOps

from mediaproof.errors import BlobNotFoundError, MediaproofError, NotFoundError
from mediaproof.services.instance import Instance
from mediaproof.storage.blobs import BlobStore, LocalBlobStore

log = logging.getLogger(__name__)

PREVIEW_LONG_SIDE = 640
MAX_IMAGES = 512
MAX_BYTES = 64 * 1024 * 1024
RESULTS = "results"  # heatmaps in the object store: results/<expiry hex>-<random>.png
_TOKEN = re.compile(r"^([0-9a-f]{1,12})-[A-Za-z0-9_-]{24}$")


class ResultImages:
    """PNG bytes by random token, expiring; bounded in count and bytes (oldest go first)."""

    def __init__(self, keep_s: float, max_images: int = MAX_IMAGES, max_bytes: int = MAX_BYTES):
        self.keep_s = keep_s
        self.max_images = max_images
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def put(self, png: bytes) -> str:
        token = secrets.token_urlsafe(18)
        with self._lock:
            self._expire()
            self._items[token] = (time.monotonic() + self.keep_s, png)
            self._bytes += len(png)
            while self._items and (
                len(self._items) > self.max_images or self._bytes > self.max_bytes
            ):
                _, (_, old) = self._items.popitem(last=False)
                self._bytes -= len(old)
        return token

    def get(self, token: str) -> bytes:
        with self._lock:
            self._expire()
            item = self._items.get(token)
        if item is None:
            raise NotFoundError("no such image (results are kept for a limited time)")
        return item[1]

    def _expire(self) -> None:
        now = time.monotonic()
        while self._items:
            token, (expires, data) = next(iter(self._items.items()))
            if expires > now:
                break
            del self._items[token]
            self._bytes -= len(data)


class BlobResultImages(ResultImages):
    """The same, kept in the instance's object store, so that any API process answers
    for an image another one made (several processes behind a proxy). The token carries
    its expiry (wall-clock seconds, hex) so a reader needs no index; expired images are
    deleted by the next put after a minute, and are never served once past it."""

    SWEEP_EVERY_S = 60.0

    def __init__(self, store: BlobStore, keep_s: float) -> None:
        super().__init__(keep_s)
        self.store = store
        self._swept = 0.0

    def put(self, png: bytes) -> str:
        expires = int(time.time() + self.keep_s) + 1
        token = f"{expires:x}-{secrets.token_urlsafe(18)}"
        self.store.put(f"{RESULTS}/{token}.png", png)
        if time.monotonic() - self._swept > self.SWEEP_EVERY_S:
            self._swept = time.monotonic()
            self._sweep()
        return token

    def get(self, token: str) -> bytes:
        m = _TOKEN.match(token)
        if m is None or int(m.group(1), 16) <= time.time():
            raise NotFoundError("no such image (results are kept for a limited time)")
        try:
            return self.store.get(f"{RESULTS}/{token}.png")
        except BlobNotFoundError as e:
            raise NotFoundError("no such image (results are kept for a limited time)") from e

    def _sweep(self) -> None:
        now = time.time()
        try:
            for key in list(self.store.list(f"{RESULTS}/")):
                m = _TOKEN.match(key.removeprefix(f"{RESULTS}/").removesuffix(".png"))
                if m is None or int(m.group(1), 16) <= now:
                    self.store.delete(key)
        except MediaproofError as e:  # the next put tries again
            log.warning("could not sweep expired result images: %s", e)


def result_images_for(inst: Instance, keep_s: float) -> ResultImages:
    """In this process's memory on the folder store (one process); in the object store
    otherwise, so every replica can answer."""
    if isinstance(inst.blob_store, LocalBlobStore):
        return ResultImages(keep_s)
    return BlobResultImages(inst.blob_store, keep_s)


def preview_path(inst: Instance, asset_id: int) -> Path | None:
    """Where the asset's preview is, made on first use; None when none may be shown."""
    settings = inst.settings
    if not (settings.service.original_previews and settings.keep_original_pixels):
        return None
    asset = inst.asset(asset_id)
    if asset is None or asset.status != "active" or not asset.mime.startswith("image/"):
        return None
    blob = asset.original_blob or asset.sha256
    if not inst.blobs.exists(blob):
        return None  # the instance does not keep this original's pixels
    key = f"previews/{asset.sha256}.jpg"  # <home>/previews/ on the local store
    with contextlib.suppress(BlobNotFoundError):
        return inst.blob_store.local_path(key)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(inst.blobs.path(blob)) as im:
                im.draft("RGB", (PREVIEW_LONG_SIDE, PREVIEW_LONG_SIDE))
                small = ImageOps.exif_transpose(im).convert("RGB")
                small.thumbnail((PREVIEW_LONG_SIDE, PREVIEW_LONG_SIDE))
    except Exception:
        return None  # a format Pillow cannot decode (e.g. HEIC without a plug-in)
    buf = io.BytesIO()
    small.save(buf, "JPEG", quality=85)  # no metadata: EXIF can name people and places
    inst.blob_store.put(key, buf.getvalue())  # atomic: no request sees half a file
    return inst.blob_store.local_path(key)


def original_preview(inst: Instance, asset_id: int) -> Path:
    path = preview_path(inst, asset_id)
    if path is None:
        raise NotFoundError(f"no preview is shown for asset {asset_id}")
    return path
