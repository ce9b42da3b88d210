"""One error base with a message a person can act on, shared by the CLI and the API.

Every error the product raises on purpose derives from :class:`MediaproofError`. The CLI
prints ``message`` (and ``hint`` when present) and exits with ``exit_code``; the HTTP API
maps ``http_status`` and ``code`` onto its JSON error shape. Anything else that escapes is
a bug.
"""

from __future__ import annotations


class MediaproofError(Exception):
    """Base error. ``message`` is for people; ``code`` is stable for machines.

    A subclass declares what differs from its parent as class keywords, one line each::

        class NotFoundError(StorageError, code="not_found", exit_code=6, http_status=404):
            ("what went wrong, for the reader of the code")
    """

    code: str = "error"
    exit_code: int = 1
    http_status: int = 500

    def __init_subclass__(
        cls,
        *,
        code: str | None = None,
        exit_code: int | None = None,
        http_status: int | None = None,
        **kwargs: object,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.code = code
        if exit_code is not None:
            cls.exit_code = exit_code
        if http_status is not None:
            cls.http_status = http_status

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class ConfigError(MediaproofError, code="config", exit_code=78, http_status=500): ...  # EX_CONFIG


class UsageError(MediaproofError, code="usage", exit_code=2, http_status=400): ...


NUL_MESSAGE = "a text holds a NUL character (U+0000), which cannot be stored"


class InvalidValueError(UsageError, code="invalid_request", http_status=422):
    """A value no database can hold as sent (a NUL character in a text, a text longer
    than its column): refused before, or instead of, storing anything."""


# --- ingest -----------------------------------------------------------------------


class IngestError(MediaproofError, code="ingest", exit_code=3, http_status=400):
    """The input could not be taken in safely."""


class UnsupportedMediaError(IngestError, code="unsupported_media", http_status=415): ...


class LimitExceededError(IngestError, code="limit_exceeded", http_status=413):
    """Bytes, pixels or duration over the configured limit (also decompression bombs)."""


class MalformedMediaError(IngestError, code="malformed_media", http_status=422): ...


# --- provenance -------------------------------------------------------------------


class ProvenanceError(MediaproofError, code="provenance", exit_code=4, http_status=422): ...


class SigningError(ProvenanceError, code="signing_failed"): ...


class KeyMaterialError(ProvenanceError, code="key_material", exit_code=78):
    """Keys or certificates missing, unreadable, or not fit for C2PA signing."""


# --- storage ----------------------------------------------------------------------


class StorageError(MediaproofError, code="storage", exit_code=5, http_status=500): ...


class NotFoundError(StorageError, code="not_found", exit_code=6, http_status=404): ...


class ConflictError(StorageError, code="conflict", exit_code=7, http_status=409): ...


class BlobNotFoundError(NotFoundError, code="blob_not_found"):
    """No blob under that key (never stored, or deleted since)."""


class BlobStoreError(StorageError, code="blob_store", http_status=503):
    """The blob store failed: the object store cannot be reached, refused the
    credentials, or a write could not be completed. Nothing half-written is left."""


class BlobTooLargeError(StorageError, code="blob_too_large", http_status=413):
    """A blob over the store's size limit (``MEDIAPROOF_BLOB_MAX_BYTES``)."""


class RemoteManifestError(ProvenanceError, code="remote_manifest", http_status=422):
    """The file names credentials on a remote server; mediaproof never fetches them."""


# --- accounts and access ----------------------------------------------------------


class AccessError(MediaproofError, code="access", exit_code=11, http_status=403): ...


class AuthenticationError(AccessError, code="unauthenticated", http_status=401):
    """No valid session or token, or wrong credentials."""

    def www_authenticate(self, realm: str = "mediaproof") -> str:
        """The challenge every 401 carries (RFC 9110 section 11.6.1; RFC 6750 section 3
        for bearer tokens): what the caller should send instead."""
        return f'Bearer realm="{realm}"'


class InvalidTokenError(AuthenticationError):
    """A bearer token was sent and is not valid (unknown, revoked, expired, or not the
    configured one): RFC 6750's ``invalid_token``, so a client knows to get a new one."""

    def www_authenticate(self, realm: str = "mediaproof") -> str:
        return f'Bearer realm="{realm}", error="invalid_token"'


class PermissionDeniedError(AccessError, code="forbidden", http_status=403): ...


class CsrfError(AccessError, code="csrf_failed", http_status=403): ...


class RateLimitedError(AccessError, code="rate_limited", http_status=429):
    def __init__(self, message: str, *, retry_after_s: float, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.retry_after_s = retry_after_s


# --- uploads over HTTP ------------------------------------------------------------


class UploadTimeoutError(IngestError, code="upload_timeout", http_status=408):
    """The client sent the body too slowly."""


class BusyError(MediaproofError, code="busy", http_status=503):
    """Too much work queued; the client should retry later."""
