"""The registry's domain side: what a registered asset is, and how analyzers look one up."""

from mediaproof.registry.models import AssetRecord, RegistryLookup

__all__ = ["AssetRecord", "RegistryLookup"]
