"""One router per domain. Each route has a unique name, the key of its access rule."""
