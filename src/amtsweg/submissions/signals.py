"""Hooks for the apps above submissions (cases), so that data flows one way."""

from django.dispatch import Signal

# Sent by the outbox task of a new submission, in the worker, with `submission_id`.
# Receivers must be idempotent: the task runs at least once.
received = Signal()
