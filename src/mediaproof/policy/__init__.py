"""Decide: a policy turns Evidence into an Assessment with reasons a person can read."""
