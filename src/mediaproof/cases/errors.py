"""Errors of the case workflow. All derive from the product's one error base."""

from __future__ import annotations

from mediaproof.errors import MediaproofError, UsageError


class CaseError(MediaproofError, code="case", exit_code=8, http_status=422): ...


class InvalidTransitionError(CaseError, code="invalid_transition", http_status=409):
    """The case is not in a state where this step is allowed."""


class NoticeInvalidError(UsageError, code="notice_invalid", http_status=422):
    """A notice lacks an element the law or the policy requires."""


class ReviewRuleError(CaseError, code="review_rule", http_status=403):
    """A review step breaks a rule of the policy (e.g. the same person twice)."""


class AppealWindowError(CaseError, code="appeal_window_closed", http_status=409): ...


class TokenError(CaseError, code="bad_token", exit_code=6, http_status=404):
    """A status or appeal token that matches nothing (never says whether a case exists)."""
