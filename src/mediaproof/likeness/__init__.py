"""Subject defense: enrol a person's face and voice, notice media that resembles them.

Entry points (see docs/likeness.md):
- ``service.LikenessService``: enrol / enrolments / delete / check / set_reference
- ``analyzer.LikenessAnalyzer`` (name ``"likeness"``); ``services.likeness.instance_likeness``
  opens an instance's service per analysis
- ``store.LikenessStore`` (Protocol); the instance's store is ``storage.sql.likeness_store``
  (``store.SqliteLikenessStore`` is the older file store, read once to migrate it)
- ``monitor.Monitor`` (``run_once`` / ``run`` / ``stop``) and ``alerts`` channels

Heavy models (dlib, Resemblyzer/torch) load on first use, from installed packages only.
"""

__all__: list[str] = []  # nothing at package level: import its modules
