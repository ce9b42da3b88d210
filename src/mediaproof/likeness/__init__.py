"""Subject defense: enrol a person's face and voice, notice media that resembles them.

Entry points (see docs/likeness.md):
- ``service.LikenessService``: enrol / enrolments / delete / check / set_reference
- ``analyzer.LikenessAnalyzer`` (name ``"likeness"``) and ``analyzer.instance_service``
- ``store.LikenessStore`` (Protocol) and ``store.SqliteLikenessStore``
- ``monitor.Monitor`` (``run_once`` / ``run`` / ``stop``) and ``alerts`` channels

Heavy models (dlib, Resemblyzer/torch) load on first use, from installed packages only.
"""
