"""The Lambda runtime's side: configuration read from the environment at cold start (config),
the Powertools logger, metrics and tracer (observability), and the time the invocation has left
(deadline).

Imported by every package. Imports nothing of notes_core.
"""
