"""Match: registered originals (and known media) near a file's fingerprints.

``lookup`` (the FingerprintLookup protocol and an in-memory reference),
``hamming_index`` / ``audio_index`` (exact indexes), ``analyzer`` (the match analyzer),
``media_bank`` (media known to the case workflow), ``hash_import`` (bulk hash lists),
``shards`` (which matcher shard serves an asset).
"""

__all__: list[str] = []  # nothing at package level: import its modules
