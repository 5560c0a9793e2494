"""Evaluators in progress (issue 4)."""
