"""Operator-entered text that is signed into Content Credentials or shown on public pages
must read as it is stored: no character that reorders or hides the text around it.

Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) make a
name read one way on a page and another in the signed record; control characters
(newlines included) break the line it is shown on. Right-to-left text itself and the
plain direction marks U+200E/U+200F are fine. Checked where the text is entered (a
release's title and author, a signing organisation, a protected official, an enrolled
person), so it is refused there with a message that names the character, not later
when something is signed with it.
"""

from __future__ import annotations

import re

from mediaproof.errors import NUL_MESSAGE, InvalidValueError

HIDDEN_FORMATTING = re.compile("[\u202a-\u202e\u2066-\u2069\x00-\x1f\x7f-\x9f]")
# a free-text description may have lines (and tabs); nothing else
HIDDEN_IN_PARAGRAPHS = re.compile("[\u202a-\u202e\u2066-\u2069\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def check_display_text(why: str, **fields: str | None) -> None:
    """Raise 422 ``invalid_request`` naming the first such character and the field it is
    in; ``why`` says, after a semicolon, where the text ends up."""
    _check(HIDDEN_FORMATTING, why, fields)


def check_display_paragraphs(why: str, **fields: str | None) -> None:
    """The same for a free-text description: newlines and tabs are allowed."""
    _check(HIDDEN_IN_PARAGRAPHS, why, fields)


def _check(hidden: re.Pattern[str], why: str, fields: dict[str, str | None]) -> None:
    for name, value in fields.items():
        found = hidden.search(value or "")
        if found is not None and found.group() == "\x00":
            # what the API says of a NUL in any text (it cannot be stored on PostgreSQL)
            raise InvalidValueError(
                f"the {name}: {NUL_MESSAGE}", hint=f"remove it from the {name} and send it again"
            )
        if found is not None:
            raise InvalidValueError(
                f"the {name} holds the invisible character U+{ord(found.group()):04X}, "
                f"which changes how the text around it is displayed; {why}",
                hint=f"remove it from the {name} and send it again",
            )
