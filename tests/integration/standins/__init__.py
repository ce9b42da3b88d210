"""Local stand-ins for the remote APIs python-threatexchange's exchange clients call
(boundaries we do not own): small HTTP servers on 127.0.0.1 answering the paths and
shapes the library requests."""
