"""Who may call what: one declarative table, keyed by route name, denying by default.

Every route in the app must have an entry here; a route without one is refused at run
time and fails tests/api/test_authz_matrix.py. Anonymous callers of rate-limited routes
draw from a per-address token bucket; HTML forms carry a CSRF token even when anonymous,
and every unsafe request made with a session cookie needs one.
"""

from __future__ import annotations

from dataclasses import dataclass

from mediaproof.accounts.models import Permission


@dataclass(frozen=True)
class Rule:
    who: str  # "public" | "user" (any logged-in user) | "permission"
    permission: Permission | None = None
    rate: str | None = None  # bucket: verify | lookup | login | notice | screen | uploads
    rate_everyone: bool = False  # signed-in callers draw from the bucket too
    form: bool = False  # an HTML form: CSRF token required for anonymous callers too
    pending_password_ok: bool = False  # reachable before a one-time password is changed
    own_token: bool = False  # the route checks Authorization itself (not an account's token)


def public(rate: str | None = None, form: bool = False, rate_everyone: bool = False) -> Rule:
    return Rule(
        "public", rate=rate, form=form, rate_everyone=rate_everyone, pending_password_ok=True
    )


def user(form: bool = False, pending_password_ok: bool = False) -> Rule:
    return Rule("user", form=form, pending_password_ok=pending_password_ok)


def needs(permission: Permission, form: bool = False) -> Rule:
    return Rule("permission", permission, form=form)


ACCESS: dict[str, Rule] = {
    # operations
    "health.healthz": public(),
    "health.readyz": public(),
    # its own bearer token (MEDIAPROOF_METRICS_TOKEN), checked by the route; off: 404
    "health.metrics": Rule("public", own_token=True, pending_password_ok=True),
    "openapi": public(),
    "static": public(),
    # verify for everyone
    "verify.api": public(rate="verify"),
    "jobs.get": public(),  # the unguessable job id is the capability
    "verify.image": public(rate="lookup"),  # so is the result image's token
    # the registry, read by anyone
    "assets.get": public(rate="lookup"),
    "assets.preview": public(rate="lookup"),  # downscaled, active public images only
    "assets.file": needs(Permission.PUBLISH),
    "assets.publish": needs(Permission.PUBLISH),
    # one instance speaks for one office: its publishers may take back its releases
    "assets.withdraw": needs(Permission.PUBLISH),
    # C2PA Soft Binding Resolution API (public, like the registry it reads)
    "softbinding.by_binding_get": public(rate="lookup"),
    "softbinding.by_binding_post": public(rate="lookup"),
    "softbinding.by_content": public(rate="verify"),
    "softbinding.manifest": public(rate="lookup"),
    "softbinding.algorithms": public(rate="lookup"),
    "log.file": public(rate="lookup"),
    # accounts
    "account.me": user(pending_password_ok=True),
    "tokens.list": user(),
    "tokens.create": needs(Permission.OWN_TOKENS),
    "tokens.revoke": needs(Permission.OWN_TOKENS),
    "tokens.revoke_all": needs(Permission.OWN_TOKENS),
    "users.list": needs(Permission.MANAGE_USERS),
    "users.create": needs(Permission.MANAGE_USERS),
    # pages
    "web.index": public(),
    "web.verify": public(rate="verify", form=True),
    "web.job": public(),
    "web.login_form": public(),
    # signed-in users too: a session must not be a way around password guessing limits
    "web.login": public(rate="login", form=True, rate_everyone=True),
    "web.logout": user(form=True, pending_password_ok=True),
    "web.password_form": user(pending_password_ok=True),
    "web.password": user(form=True, pending_password_ok=True),
    "web.tokens": needs(Permission.OWN_TOKENS),
    "web.token_create": needs(Permission.OWN_TOKENS, form=True),
    "web.token_revoke": needs(Permission.OWN_TOKENS, form=True),
    "web.tokens_revoke_all": needs(Permission.OWN_TOKENS, form=True),
    "web.publish_form": needs(Permission.PUBLISH),
    "web.publish": needs(Permission.PUBLISH, form=True),
    "web.asset": public(rate="lookup"),
    # the case workflow (issue 7): anyone reports; the secret token is the capability
    "cases.notice_create": public(rate="notice"),
    "cases.status": public(rate="lookup"),
    "cases.withdraw": public(rate="notice"),
    "cases.appeal_create": public(rate="notice"),
    "cases.my_notices": user(),
    "cases.policy": public(rate="lookup"),
    "cases.report_csv": public(rate="lookup"),
    "cases.queue": needs(Permission.REVIEW_CASES),
    "cases.show": needs(Permission.REVIEW_CASES),
    "cases.decide": needs(Permission.REVIEW_CASES),
    "cases.confirm": needs(Permission.REVIEW_CASES),
    "cases.reject": needs(Permission.REVIEW_CASES),
    "cases.appeal_decide": needs(Permission.REVIEW_CASES),
    "cases.statements": needs(Permission.REVIEW_CASES),
    "cases.statements_export": needs(Permission.REVIEW_CASES),
    "cases.endpoints": needs(Permission.MANAGE_WEBHOOKS),
    "cases.endpoint_set": needs(Permission.MANAGE_WEBHOOKS),
    "cases.dead_letters": needs(Permission.MANAGE_WEBHOOKS),
    "cases.dead_letter_retry": needs(Permission.MANAGE_WEBHOOKS),
    "cases.candidates": needs(Permission.APPROVE_CANDIDATES),
    "cases.candidate_approve": needs(Permission.APPROVE_CANDIDATES),
    "cases.candidate_revoke": needs(Permission.APPROVE_CANDIDATES),
    "web.report_form": public(),
    "web.report": public(rate="notice", form=True),
    "web.status": public(rate="lookup"),
    "web.withdraw": public(rate="notice", form=True),
    "web.status_appeal": public(rate="notice", form=True),
    "web.appeal_form": public(),
    "web.appeal": public(rate="notice", form=True),
    "web.my_reports": user(),
    "web.policy": public(),
    "web.policy_version": public(),
    "web.transparency": public(rate="lookup"),
    "web.review_queue": needs(Permission.REVIEW_CASES),
    "web.review_case": needs(Permission.REVIEW_CASES),
    # the reported file itself: reviewers and admins only, never the public
    "web.review_media": needs(Permission.REVIEW_CASES),
    "web.review_decide": needs(Permission.REVIEW_CASES, form=True),
    # queue a failed analysis of a kept file again (it is never retried by itself)
    "web.review_retry_analysis": needs(Permission.REVIEW_CASES, form=True),
    "web.review_confirm": needs(Permission.REVIEW_CASES, form=True),
    "web.review_reject": needs(Permission.REVIEW_CASES, form=True),
    "web.review_appeal": needs(Permission.REVIEW_CASES, form=True),
    "web.webhooks": needs(Permission.MANAGE_WEBHOOKS),
    "web.endpoint_set": needs(Permission.MANAGE_WEBHOOKS, form=True),
    "web.dead_letter_retry": needs(Permission.MANAGE_WEBHOOKS, form=True),
    "web.candidates": needs(Permission.APPROVE_CANDIDATES),
    "web.candidate_approve": needs(Permission.APPROVE_CANDIDATES, form=True),
    "web.candidate_revoke": needs(Permission.APPROVE_CANDIDATES, form=True),
    # likeness (subject defense): biometric data of named people
    "likeness.enrol": needs(Permission.MANAGE_LIKENESS),
    "likeness.list": needs(Permission.MANAGE_LIKENESS),
    "likeness.show": needs(Permission.MANAGE_LIKENESS),
    "likeness.delete": needs(Permission.MANAGE_LIKENESS),
    "likeness.check": needs(Permission.MANAGE_LIKENESS),
    "likeness.alerts": needs(Permission.MANAGE_LIKENESS),
    "likeness.report": needs(Permission.MANAGE_LIKENESS),
    "web.likeness": needs(Permission.MANAGE_LIKENESS),
    "web.likeness_report": needs(Permission.MANAGE_LIKENESS),
    # the hash exchange's overview and the review of contributions (web/exchange_pages.py)
    "web.exchange": needs(Permission.REVIEW_CASES),
    "web.exchange_accept": needs(Permission.REVIEW_CASES, form=True),
    "web.exchange_reject": needs(Permission.REVIEW_CASES, form=True),
    # the hash exchange (docs/exchange.md): a peer's token must also be granted the
    # collection (checked in services/exchange.py); rate-limited per token there
    # imported hash lists (docs/fingerprints.md): banks from elsewhere, admins only
    "hash_lists.list": needs(Permission.MANAGE_EXCHANGE),
    "hash_lists.import": needs(Permission.MANAGE_EXCHANGE),
    "hash_lists.match": needs(Permission.MANAGE_EXCHANGE),
    "exchange.collections": needs(Permission.EXCHANGE_READ),
    "exchange.collection": needs(Permission.EXCHANGE_READ),
    "exchange.updates": needs(Permission.EXCHANGE_READ),
    "exchange.checkpoint": needs(Permission.EXCHANGE_READ),
    "exchange.consistency": needs(Permission.EXCHANGE_READ),
    "exchange.snapshot": needs(Permission.EXCHANGE_READ),
    # opinions: a peer token with the opine scope and a grant, or an admin (the publisher)
    "exchange.opine": needs(Permission.EXCHANGE_OPINE),
    "exchange.opinions": needs(Permission.EXCHANGE_READ),
    # contributions: a peer token with the contribute scope and a grant submits; the
    # publisher's reviewers (and admins) list, accept and reject them
    "exchange.contribute": needs(Permission.EXCHANGE_CONTRIBUTE),
    "exchange.my_contributions": needs(Permission.EXCHANGE_CONTRIBUTE),
    "exchange.contributions": needs(Permission.REVIEW_CASES),
    "exchange.contribution_accept": needs(Permission.REVIEW_CASES),
    "exchange.contribution_reject": needs(Permission.REVIEW_CASES),
    # prompt screening (issue 19): tool makers screen, signed in or not they draw from the
    # per-address bucket; admins keep the officials list, the seeds and the record
    "screen.prompt": Rule(
        "permission", Permission.SCREEN_PROMPTS, rate="screen", rate_everyone=True
    ),
    "screen.seeds": needs(Permission.MANAGE_SCREENING),
    "screen.seed_add": needs(Permission.MANAGE_SCREENING),
    "screen.officials": needs(Permission.MANAGE_SCREENING),
    "screen.official_add": needs(Permission.MANAGE_SCREENING),
    "screen.events": needs(Permission.MANAGE_SCREENING),
    "screen.own_events": needs(Permission.SCREEN_PROMPTS),
    # output screening: the same tool makers, the same per-address bucket; a signed
    # output is handed back to the tool that made it (checked in the service)
    "screen.output": Rule(
        "permission", Permission.SCREEN_PROMPTS, rate="screen", rate_everyone=True
    ),
    "screen.output_file": needs(Permission.SCREEN_PROMPTS),
    # consent records name enrolled people: whoever manages likeness data keeps them
    "screen.consents": needs(Permission.MANAGE_LIKENESS),
    "screen.consent": needs(Permission.MANAGE_LIKENESS),
    "screen.consent_grant": needs(Permission.MANAGE_LIKENESS),
    "screen.consent_revoke": needs(Permission.MANAGE_LIKENESS),
    "screen.bans": needs(Permission.MANAGE_SCREENING),
    "screen.ban_lift": needs(Permission.MANAGE_SCREENING),
    # a tool registers its own webhook and files its users' appeals of blocks and holds
    "screen.webhook": needs(Permission.SCREEN_PROMPTS),
    "screen.webhook_set": needs(Permission.SCREEN_PROMPTS),
    "screen.appeal": needs(Permission.SCREEN_PROMPTS),
    # platforms check their uploads against the bank and received signals (issue 18):
    # platform accounts' tokens and admins, per account from the uploads bucket
    "uploads.check": Rule("permission", Permission.CHECK_UPLOADS, rate="uploads"),
    "uploads.check_hashes": Rule("permission", Permission.CHECK_UPLOADS, rate="uploads"),
}
