"""storage/sql."""
