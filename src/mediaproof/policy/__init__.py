"""Decide: a policy turns Evidence into an Assessment with reasons a person can read."""

__all__: list[str] = []  # nothing at package level: import mediaproof.policy.assessment
