"""The registry's domain side: what a registered asset is, and how analyzers look one up
(``models.AssetRecord``, ``models.RegistryLookup``)."""

__all__: list[str] = []  # nothing at package level: import mediaproof.registry.models
