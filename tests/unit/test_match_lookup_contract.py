"""InMemoryLookup against the FingerprintLookup contract."""

from __future__ import annotations

from mediaproof.fingerprint.fingerprints import Fingerprints
from mediaproof.matching.lookup import FingerprintLookup, InMemoryLookup
from mediaproof.testing.lookup_contract import FingerprintLookupContract, Register


class TestInMemoryLookup(FingerprintLookupContract):
    def make_registry(self) -> tuple[Register, FingerprintLookup]:
        lookup = InMemoryLookup()

        def register(asset_id: str, fps: Fingerprints) -> str:
            lookup.register(asset_id, fps)
            return asset_id

        return register, lookup
