"""Settings of a deployment past one box: the object store for bytes, the durable job
queue, and the sharded matchers' addresses. Split from :mod:`mediaproof.config` (which
nests these in :class:`~mediaproof.config.Settings`); a single box leaves all of them
unset. Like ``config``, this module only reads the environment through pydantic
settings, nothing else.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MiB = 1024 * 1024


class BlobSettings(BaseSettings):
    """Where the instance keeps its bytes (originals, notice uploads, previews, index
    snapshots): the instance folder by default, or an S3-compatible object store
    (docs/deploy.md). Nothing is contacted unless ``store`` names an object store."""

    model_config = SettingsConfigDict(env_prefix="MEDIAPROOF_BLOB_", extra="ignore")

    store: str | None = Field(
        default=None,
        description="unset: the instance folder; s3://BUCKET[/PREFIX]: an S3-compatible "
        "object store (needs the s3 extra: pip install 'mediaproof[s3]')",
    )
    max_bytes: int = Field(
        default=64 * 1024 * MiB, ge=1, description="largest single blob the store accepts"
    )
    s3_endpoint_url: str | None = Field(
        default=None,
        description="the object store's address, e.g. http://127.0.0.1:8333 (SeaweedFS, "
        "MinIO, Ceph); unset: AWS S3 in s3_region",
    )
    s3_region: str = Field(default="us-east-1")
    s3_access_key_id: str | None = Field(
        default=None,
        description="with s3_secret_access_key; unset: boto3's own chain (an instance "
        "role, a web identity token, AWS_* variables)",
    )
    s3_secret_access_key: SecretStr | None = None
    s3_addressing_style: Literal["auto", "path", "virtual"] = Field(
        default="auto",
        description="bucket in the path or in the host name; auto: path style when an "
        "endpoint is given (what self-hosted stores expect)",
    )
    s3_multipart_bytes: int = Field(
        default=64 * MiB,
        ge=5 * MiB,
        description="files larger than this are sent as a multipart upload",
    )
    s3_timeout_s: float = Field(default=60.0, gt=0, description="connect and read timeout")
    cache_dir: Path | None = Field(
        default=None,
        description="local copies of remote blobs (files that are decoded or memory-mapped "
        "in place); default <home>/cache",
    )
    cache_max_bytes: int = Field(
        default=10 * 1024 * MiB,
        ge=0,
        description="size cap of the cache folder: a new copy first removes the least "
        "recently used ones (copies used in the last minute stay); 0 keeps only what is "
        "in use; index snapshots are not counted",
    )

    @field_validator("store")
    @classmethod
    def _store(cls, v: str | None) -> str | None:
        if v is None or not v.strip() or v.strip() in ("local", "file"):
            return None
        v = v.strip()
        parts = urlsplit(v)
        if parts.scheme != "s3":
            raise ValueError("blob store: unset (the instance folder) or s3://BUCKET[/PREFIX]")
        if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", parts.netloc or ""):
            raise ValueError(f"blob store: not an S3 bucket name: {parts.netloc!r}")
        if parts.query or parts.fragment or ".." in parts.path.split("/"):
            raise ValueError("blob store: s3://BUCKET[/PREFIX] takes no query, fragment or '..'")
        return v.rstrip("/")

    @field_validator("s3_endpoint_url")
    @classmethod
    def _endpoint(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        parts = urlsplit(v.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("s3_endpoint_url must be an http(s) address")
        if parts.username or parts.password:
            raise ValueError("s3_endpoint_url takes no credentials: use s3_access_key_id")
        return v.strip().rstrip("/")

    @property
    def bucket(self) -> str | None:
        return urlsplit(self.store).netloc if self.store else None

    @property
    def prefix(self) -> str:
        return urlsplit(self.store).path.strip("/") if self.store else ""


class QueueSettings(BaseSettings):
    """The durable job queue (docs/queue.md); read only when ``MEDIAPROOF_BROKER_URL``
    is set. Every API process and worker of one deployment must agree on these."""

    model_config = SettingsConfigDict(env_prefix="MEDIAPROOF_QUEUE_", extra="ignore")

    name: str = Field(
        default="mediaproof.jobs",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,120}$",
        description="the quorum queue jobs go to; its dead-letter queue is '<name>.dead'",
    )
    delivery_limit: int = Field(
        default=3,
        ge=1,
        le=50,
        description="times a job may be handed back (its worker died) before the broker "
        "moves it to the dead-letter queue",
    )
    task_time_limit_s: float = Field(
        default=1500.0,
        gt=0,
        le=86_400,
        description="a job running longer is stopped and failed; keep it under RabbitMQ's "
        "consumer_timeout (30 min by default)",
    )
    part_s: float = Field(
        default=120.0,
        ge=0,
        le=86_400,
        description="video longer than this many seconds is analysed in parts of about "
        "this length, one task each, and a combine step (docs/queue.md); 0: never split",
    )


def parse_matchers(spec: str) -> list[list[str]]:
    """``MEDIAPROOF_MATCHERS`` as the replicas' base URLs per shard (shard i at index i).
    Raises ValueError when shards are missing, repeated, or a URL is not http(s)."""
    shards: dict[int, list[str]] = {}
    for part in spec.strip().strip(";").split(";"):
        key, sep, urls = part.partition("=")
        if not sep or not key.strip().isdigit():
            raise ValueError("MEDIAPROOF_MATCHERS: each shard is '<number>=<url>[,<url>...]'")
        shard = int(key.strip())
        if shard in shards:
            raise ValueError(f"MEDIAPROOF_MATCHERS: shard {shard} is named twice")
        found = [u.strip().rstrip("/") for u in urls.split(",") if u.strip()]
        if not found:
            raise ValueError(f"MEDIAPROOF_MATCHERS: shard {shard} has no replica")
        for u in found:
            parts = urlsplit(u)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError("MEDIAPROOF_MATCHERS: replicas are http:// or https:// URLs")
        shards[shard] = found
    if sorted(shards) != list(range(len(shards))):
        raise ValueError("MEDIAPROOF_MATCHERS: the shards must be numbered 0 to N-1, each once")
    return [shards[i] for i in range(len(shards))]
