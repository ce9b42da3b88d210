"""Pictures that go with a verify result: the difference heatmap, the original's preview.

The heatmap is made from the uploaded file, so it is as private as the upload: it is
kept under a random, unguessable token for as long as finished jobs are kept
(``service.job_keep_s``), then forgotten; whoever holds the result's URL may fetch it.
The token is a row in the database and the bytes are in the job blob store
(:func:`mediaproof.services.jobs.job_blobs`), so an image a worker or another API
process made is served by any of them.

The original's preview is a downscaled copy (at most :data:`PREVIEW_LONG_SIDE` px) of a
*registered, active* image, made from the file the instance keeps, and only when the
operator left both ``keep_original_pixels`` and ``service.original_previews`` on (the
defaults). A registered original is
a public record; the full-size file stays available to publishers only.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import secrets
import warnings
from pathlib import Path

from PIL import Image, ImageOps

from mediaproof.errors import BlobNotFoundError, NotFoundError
from mediaproof.services.instance import Instance
from mediaproof.storage.blobs import ContentStore
from mediaproof.storage.sql.engine import Database
from mediaproof.storage.sql.repos_jobs import ResultImageRepo

PREVIEW_LONG_SIDE = 640
MAX_IMAGES = 512
MAX_BYTES = 64 * 1024 * 1024


class ResultImages:
    """PNG bytes by random token, expiring; bounded in count and bytes (oldest go first)."""

    def __init__(
        self,
        db: Database,
        blobs: ContentStore,
        keep_s: float,
        max_images: int = MAX_IMAGES,
        max_bytes: int = MAX_BYTES,
    ):
        self.repo = ResultImageRepo(db)
        self.blobs = blobs
        self.keep_s = keep_s
        self.max_images = max_images
        self.max_bytes = max_bytes

    def put(self, png: bytes) -> str:
        token = secrets.token_urlsafe(18)
        blob = self.blobs.put_bytes(png)
        expires = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self.keep_s)
        gone = self.repo.add(
            token, blob, len(png), expires, max_images=self.max_images, max_bytes=self.max_bytes
        )
        self._delete(gone)
        # another process may have dropped the bytes as unnamed between our put and our
        # row: put them back, but only while our own row still names them (with a keep
        # time of 0 the row expires inside its own put, and bytes put back would be
        # named by no row and never deleted)
        if self.repo.get(token) == blob and not self.blobs.exists(blob):
            self.blobs.put_bytes(png)
        return token

    def get(self, token: str) -> bytes:
        blob = self.repo.get(token)
        if blob is None:
            self._delete(self.repo.expire())
            raise NotFoundError("no such image (results are kept for a limited time)")
        try:
            return self.blobs.path(blob).read_bytes()
        except (NotFoundError, FileNotFoundError):
            # dropped by another process between the two reads
            raise NotFoundError("no such image (results are kept for a limited time)") from None

    def _delete(self, blobs: list[str]) -> None:
        for blob in blobs:
            self.blobs.delete(blob)


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
