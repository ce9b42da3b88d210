"""Test bases that plug-in packages (and our own tests) import.

Contract suites a plug-in's tests subclass to inherit every check its interface promises:

* ``detector_contract.DetectorContract`` (:class:`~mediaproof.detection.protocol.Detector`)
* ``fingerprinter_contract.FingerprinterContract``
  (:class:`~mediaproof.fingerprint.protocol.Fingerprinter`)
* ``lookup_contract.FingerprintLookupContract``
  (:class:`~mediaproof.matching.lookup.FingerprintLookup`)
* ``likeness_store_contract.LikenessStoreContract``
  (:class:`~mediaproof.likeness.store.LikenessStore`)
* ``watermark_contract.SchemeContract``
  (:class:`~mediaproof.watermark.protocol.WatermarkScheme`)

and ``hash_populations`` (lumpy PDQ populations for index tests and benches). The contract
modules need pytest (the ``dev`` extra); this package itself imports nothing, so
``import mediaproof.testing`` works without it.
"""

__all__: list[str] = []
