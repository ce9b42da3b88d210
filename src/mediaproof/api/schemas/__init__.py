"""Request and response shapes of the JSON API (never database rows), one module per
domain. Every route names its answer with one of these models: a field reaches a client
only when a model here names it (tests/api/test_contracts.py checks every route)."""

from mediaproof.api.schemas.accounts import (
    MeOut,
    RevokedOut,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserCreate,
    UserCreated,
    UserOut,
)
from mediaproof.api.schemas.assets import AssetOut, AssetViewOut, PublishedOut, TransparencyOut
from mediaproof.api.schemas.common import (
    SIGNED_FILE,
    ErrorDetail,
    ErrorOut,
    FingerprintIndexOut,
    HealthOut,
    JobOut,
    ReadyOut,
    as_json,
    errors,
    model_response,
    upload_body,
)
from mediaproof.api.schemas.softbinding import (
    AlgOut,
    ByBindingIn,
    MatchesOut,
    SoftBindingMatchOut,
    SupportedAlgorithmsOut,
)
from mediaproof.api.schemas.verify import VerifyReportOut

__all__ = [
    "SIGNED_FILE",
    "AlgOut",
    "AssetOut",
    "AssetViewOut",
    "ByBindingIn",
    "ErrorDetail",
    "ErrorOut",
    "FingerprintIndexOut",
    "HealthOut",
    "JobOut",
    "MatchesOut",
    "MeOut",
    "PublishedOut",
    "ReadyOut",
    "RevokedOut",
    "SoftBindingMatchOut",
    "SupportedAlgorithmsOut",
    "TokenCreate",
    "TokenCreated",
    "TokenOut",
    "TransparencyOut",
    "UserCreate",
    "UserCreated",
    "UserOut",
    "VerifyReportOut",
    "as_json",
    "errors",
    "model_response",
    "upload_body",
]
