"""Use cases that join the domain packages and storage. api/, web/ and cli/ call these."""
