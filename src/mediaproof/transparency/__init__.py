"""The tamper-evident transparency log (RFC 6962 trees, C2SP checkpoints, tiles, proofs).

Services write through :class:`mediaproof.transparency.log.TransparencyLog` and build
entries with :mod:`mediaproof.transparency.entries`. Verifiers need only
:mod:`~mediaproof.transparency.merkle` (standard library), :mod:`~.note`,
:mod:`~.checkpoint`, :mod:`~.proof` and :mod:`~.client`, none of which touch the store.
See docs/transparency-log.md.
"""

__all__: list[str] = []  # nothing at package level: import its modules
